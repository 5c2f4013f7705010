"""A realistic funnel of Segment events, rendered and loaded in Chromium: the queued ttq calls."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.browser import Site, html_page, read_queues, watch_errors
from tests.conftest import CODE
from tests.segment_events import IDENTIFY, MONOPOLY_ITEM, ORDER_CONTENTS, USER_ID, spec_event
from tiktok_pixel import PageEvents, PixelConfig

pytestmark = pytest.mark.browser

XSS = "</script><script>window.__xss=1</script><!--"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def funnel() -> list[Any]:
    """One visit: identify, land, search, add to cart, check out, pay, order, plus noise."""
    added = spec_event("Product Added")
    added["properties"]["name"] = XSS
    return [
        {
            "type": "identify",
            "messageId": "msg-identify",
            "userId": USER_ID,
            "traits": {"email": "Ann.Lee@Example.com", "first_name": "Ann", "last_name": "Lee"},
        },
        spec_event("page"),
        spec_event("Products Searched"),
        added,
        {"type": "screen", "name": "Cart"},  # accepted, ignored
        spec_event("Checkout Started"),
        spec_event("Payment Info Entered", properties="not an object"),  # dropped with a warning
        spec_event("Order Completed"),
        {"type": "track", "event": "Coupon Entered", "properties": {"coupon_id": "MAY"}},
    ]


def test_segment_funnel_lands_in_the_ttq_queue(page: Any, site: Site) -> None:
    errors = watch_errors(page)
    events = PageEvents(PixelConfig(pixel_codes=CODE))
    for event in funnel():
        events.segment(event)
    page.goto(site.add("/checkout/thanks", html_page(str(events.render()))))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    queues = read_queues(page)
    fallbacks = {"currency": "USD", "content_type": "product"}
    assert queues["main"] == [
        ["page"],
        # identify calls first; the one every track repeats is queued once
        [
            "identify",
            {
                "email": IDENTIFY["email"],
                "external_id": IDENTIFY["external_id"],
                "first_name": sha("ann"),
                "last_name": sha("lee"),
            },
        ],
        ["identify", IDENTIFY],
        [
            "track",
            "ViewContent",
            {"contents": [{"content_name": "Home"}], **fallbacks},
            {"event_id": "msg-page"},
        ],
        [
            "track",
            "Search",
            {"query": "blue roses", **fallbacks},
            {"event_id": "msg-products-searched"},
        ],
        [
            "track",
            "AddToCart",
            {"contents": [{**MONOPOLY_ITEM, "content_name": XSS}], **fallbacks},
            {"event_id": "msg-product-added"},
        ],
        [
            "track",
            "InitiateCheckout",
            {
                "contents": ORDER_CONTENTS,
                "value": 30,
                "currency": "USD",
                "order_id": "50314b8e9bcf000000000000",
                "content_type": "product",
            },
            {"event_id": "msg-checkout-started"},
        ],
        [
            "track",
            "PlaceAnOrder",
            {
                "contents": ORDER_CONTENTS,
                "value": 25,
                "currency": "USD",
                "order_id": "50314b8e9bcf000000000000",
                "content_type": "product",
            },
            {"event_id": "msg-order-completed"},
        ],
    ]
    assert page.evaluate("() => window.__xss") is None
    html = page.content()
    assert "Ann.Lee@Example.com".lower() not in html.lower()  # no raw PII on the page
    assert "+44 7700" not in html
    assert errors == []
