"""The demo shop in Chromium: the funnel search → product → wishlist → cart → checkout → payment →
order, asserting page by page the exact calls in the live ``ttq`` queue, under the shop's strict
CSP, and that the email and phone typed at checkout appear in no response the server sends."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from tests.browser import csp_violations, read_queues, watch_errors
from tests.demo_site.conftest import Shop, open_shop
from tiktok_pixel.testing import calls_in

pytestmark = pytest.mark.browser

EMAIL = "Ann.Smith@Example.com"
PHONE = "07911 123456"  # GB number without +44: default_phone_region="GB" makes it E.164
EVENT_ID = re.compile(r"demo-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


MUG = {
    "content_id": "mug-enamel-blue",
    "content_name": "Enamel camp mug",
    "content_category": "Kitchen",
    "brand": "Northfold",
    "price": 14.5,
}


def track(event: str, params: dict[str, Any], event_id: str) -> list[Any]:
    return ["track", event, params, {"event_id": event_id}]


def session_data(page: Any, shop: Shop) -> dict[str, Any]:
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    serializer = shop.app.session_interface.get_signing_serializer(shop.app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie["value"]))


class Funnel:
    """Reads each page's queue, checks it against the page's HTML, and collects event ids."""

    def __init__(self, page: Any, shop: Shop) -> None:
        self.page, self.shop = page, shop
        self.errors = watch_errors(page)
        self.event_ids: list[str] = []

    def queue(self) -> list[Any]:
        self.page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
        queues = read_queues(self.page)
        assert queues is not None
        assert csp_violations(self.page) == []
        assert self.errors == []
        # what the browser queued is what the server rendered into this very page
        html = self.shop.recorded.html()[-1][1]
        assert queues["main"] == [c.args() for c in calls_in(html) if c.method != "load"]
        for call in queues["main"]:
            if call[0] == "track":
                assert EVENT_ID.fullmatch(call[3]["event_id"]) or call[1] == "ViewContent"
                self.event_ids.append(call[3]["event_id"])
        return list(queues["main"])


def test_funnel_queues_the_exact_calls_page_by_page(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop, real_standin=False)
    funnel = Funnel(page, shop)
    head = [["holdConsent"], ["page"]]

    page.goto(shop.url + "/")
    anon = {"external_id": sha(session_data(page, shop)["anonymous_id"])}
    home = funnel.queue()
    assert home[:3] == [*head, ["identify", anon]]
    assert home[3][:2] == ["track", "ViewContent"]  # Segment page -> ViewContent
    assert home[3][2] == {"contents": [{"content_name": "Home"}], "content_type": "product",
                          "currency": "EUR"}  # fmt: skip

    # search, typed into the header's search box
    page.get_by_label("Search products").fill("mug")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=mug")
    queue = funnel.queue()
    assert queue == [
        *head,
        ["identify", anon],
        track("Search", {"query": "mug", "content_type": "product", "currency": "EUR"},
              queue[-1][3]["event_id"]),
    ]  # fmt: skip

    # product page: the native pixel.track("ViewContent", …) API, no identify
    page.get_by_role("link", name=re.compile("Enamel camp mug")).click()
    page.wait_for_url("**/p/mug-enamel-blue")
    queue = funnel.queue()
    assert queue == [
        *head,
        track("ViewContent", {"contents": [{**MUG, "quantity": 1}], "content_type": "product",
                              "value": 14.5, "currency": "EUR"}, queue[-1][3]["event_id"]),
    ]  # fmt: skip
    assert re.fullmatch(r"[0-9a-f-]{36}", queue[-1][3]["event_id"])  # a fresh UUID

    # wishlist: POST, redirect, the event fires on the wishlist page
    page.get_by_role("button", name="Add to wishlist").click()
    page.wait_for_url("**/wishlist")
    queue = funnel.queue()
    assert queue == [
        *head,
        ["identify", anon],
        track("AddToWishlist", {"contents": [{**MUG, "quantity": 1}], "content_type": "product",
                                "value": 14.5, "currency": "EUR"}, queue[-1][3]["event_id"]),
    ]  # fmt: skip

    # cart: two mugs, POST then redirect
    page.goto(shop.url + "/p/mug-enamel-blue")
    funnel.queue()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    two = {"contents": [{**MUG, "quantity": 2}], "content_type": "product", "value": 29.0,
           "currency": "EUR"}  # fmt: skip
    queue = funnel.queue()
    assert queue == [*head, ["identify", anon], track("AddToCart", two, queue[-1][3]["event_id"])]

    # checkout: InitiateCheckout, then the contact form
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url("**/checkout")
    queue = funnel.queue()
    assert queue == [
        *head,
        ["identify", anon],
        track("InitiateCheckout", {**two, "num_items": 2}, queue[-1][3]["event_id"]),
    ]
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Phone").fill(PHONE)
    page.get_by_label("Full name").fill("Ann Smith")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/checkout/payment")
    assert funnel.queue() == head  # the payment form itself sends nothing

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url("**/checkout/review")
    queue = funnel.queue()
    assert queue == [
        *head,
        ["identify", anon],
        track("AddPaymentInfo", two, queue[-1][3]["event_id"]),
    ]

    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/order/DEMO-*")
    order_id = page.url.rsplit("/", 1)[1]
    queue = funnel.queue()
    identified = {
        **anon,
        "email": sha("ann.smith@example.com"),
        "phone_number": sha("+447911123456"),
    }
    assert queue == [
        *head,
        ["identify", identified],
        track("PlaceAnOrder", {**two, "order_id": order_id}, queue[-1][3]["event_id"]),
    ]

    # every event id is distinct (Segment's messageId becomes TikTok's event_id)
    assert len(set(funnel.event_ids)) == len(funnel.event_ids) == 9

    # the raw email and phone appear in no response the server sent, in any spelling
    assert len(shop.recorded.html()) >= 12
    for needle in (EMAIL, EMAIL.lower(), PHONE, "7911123456", "+447911123456", "7911 123456"):
        leaks = [path for path, _, _, body in shop.recorded.responses if needle.encode() in body]
        assert leaks == [], f"{needle!r} leaked in {leaks}"
        cookies = [v for _, _, h, _ in shop.recorded.responses for k, v in h if k == "Set-Cookie"]
        assert not any(needle in c for c in cookies)


def test_every_page_has_a_strict_csp_with_a_fresh_nonce_on_every_script(
    browser: Any, shop: Shop
) -> None:
    page = open_shop(browser, shop, real_standin=False)
    errors = watch_errors(page)
    nonces = []
    for path in ("/", "/search?q=oak", "/p/board-oak", "/cart", "/signin"):
        response = page.goto(shop.url + path)
        csp = response.headers["content-security-policy"]
        nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)' 'strict-dynamic'", csp).group(1)
        nonces.append(nonce)
        assert "'unsafe-inline'" not in csp and "style-src 'self'" in csp
        html = response.text()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert len(scripts) >= 3 and all(f'nonce="{nonce}"' in tag for tag in scripts)
        page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
        assert page.evaluate("() => !!window.__pixelInspector") is True
        assert csp_violations(page) == []
    assert len(set(nonces)) == len(nonces)
    assert errors == []


def test_the_csp_check_can_fail_a_wrong_nonce_is_blocked(browser: Any, shop: Shop) -> None:
    """Control for the test above: the same page under a CSP with another nonce is blocked."""
    page = open_shop(browser, shop, real_standin=False)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective));"
    )

    def wrong_nonce(route: Any) -> None:
        response = route.fetch()
        headers = dict(response.headers)
        headers["content-security-policy"] = re.sub(
            r"'nonce-[^']+'", "'nonce-b3RoZXI'", headers["content-security-policy"]
        )
        route.fulfill(response=response, headers=headers)

    page.route(shop.url + "/", wrong_nonce)
    page.goto(shop.url + "/")
    assert read_queues(page) is None
    assert "script-src-elem" in csp_violations(page)
