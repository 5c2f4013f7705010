"""The demo runs in debug mode: every page carries the validator's findings for exactly the calls it
rendered (carried ones included), and the funnel's findings are the ones we expect, nothing else."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient

from demo_site import create_app
from demo_site.app import settings_from_env
from tiktok_pixel.cli import build_parser
from tiktok_pixel.cli.demo import demo_settings
from tiktok_pixel.contrib.flask import get_state
from tiktok_pixel.fragment import FINDINGS_ATTRIBUTE
from tiktok_pixel.validation import check_page

BLOCK = re.compile(rf'<script type="application/json" {FINDINGS_ATTRIBUTE} nonce="[^"]+">(.*?)<')


def block(html: str) -> list[dict[str, Any]]:
    [text] = BLOCK.findall(html)
    return list(json.loads(text))


def checked(html: str) -> list[tuple[str, str]]:
    """The validator's findings about the calls the served page makes (its page rules aside)."""
    return [(f.id, f.message) for f in check_page(html).findings if f.call is not None]


def walk(client: FlaskClient) -> dict[str, str]:
    """The funnel with the test client: the HTML of each page, by name."""
    pages: dict[str, str] = {}

    def keep(name: str, response: Any) -> None:
        assert response.status_code == 200, name
        pages[name] = response.get_data(as_text=True)

    keep("home", client.get("/"))
    keep("category", client.get("/c/kitchen"))
    keep("search", client.get("/search?q=mug"))
    keep("product", client.get("/p/mug-enamel-blue"))
    keep("wishlist", client.post("/wishlist", data={"product_id": "mug-enamel-blue"},
                                 follow_redirects=True))  # fmt: skip
    keep("cart", client.post("/cart", data={"product_id": "mug-enamel-blue", "quantity": "2"},
                             follow_redirects=True))  # fmt: skip
    keep("checkout", client.get("/checkout"))
    contact = {"email": "ann@example.com", "phone": "+44 7700 900123", "name": "Ann"}
    keep("payment", client.post("/checkout", data=contact, follow_redirects=True))
    card = {"card_number": "4242424242424242", "expiry": "01/31", "cvc": "123"}
    keep("review", client.post("/checkout/payment", data=card, follow_redirects=True))
    keep("order", client.post("/checkout/place", follow_redirects=True))
    keep("account", client.post("/signin", data={"email": "ann@example.com"},
                                follow_redirects=True))  # fmt: skip
    return pages


def test_debug_is_on_by_default_and_can_be_switched_off() -> None:
    assert get_state(create_app()).config.debug is True
    assert get_state(create_app({"TIKTOK_PIXEL_DEBUG": False})).config.debug is False
    assert settings_from_env({"TIKTOK_PIXEL_DEBUG": "0"}) == {"TIKTOK_PIXEL_DEBUG": False}
    args = build_parser().parse_args(["demo", "--no-debug"])
    assert demo_settings(args, {}) == {"TIKTOK_PIXEL_DEBUG": False}
    assert demo_settings(build_parser().parse_args(["demo"]), {}) == {}


def test_each_funnel_page_lists_the_findings_of_what_it_rendered() -> None:
    pages = walk(create_app().test_client())
    expected = {
        # Segment's page -> ViewContent default mapping (issue 5: home and listings demonstrate it)
        # sends contents [{content_name: <page name>}]: a listing page has no product id to give.
        "home": [("content-id-missing", "warning", "ViewContent")],
        "category": [("content-id-missing", "warning", "ViewContent")],
        # Order Completed -> PlaceAnOrder (the default mapping), carried across the redirect
        "order": [("event-sunset", "warning", "PlaceAnOrder")],
    }
    for name, html in pages.items():
        entries = block(html)
        assert [(e["rule"], e["severity"], e["event"]) for e in entries] == expected.get(
            name, []
        ), name
        # exactly what the validator says about the calls the served page makes
        assert [(e["rule"], e["message"]) for e in entries] == checked(html), name
        for entry in entries:
            assert entry["method"] == "track" and entry["event_id"]
            assert f'"event_id":"{entry["event_id"]}"' in html.split(FINDINGS_ATTRIBUTE)[0]
    assert "ann@example.com" not in "".join(pages.values())


def test_without_debug_the_pages_carry_no_block() -> None:
    pages = walk(create_app({"TIKTOK_PIXEL_DEBUG": False}).test_client())
    assert not any(FINDINGS_ATTRIBUTE in html for html in pages.values())
