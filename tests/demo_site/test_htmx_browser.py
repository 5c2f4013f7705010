"""The demo's listing adds to the cart with htmx (no reload): the inspector shows one AddToCart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import csp_violations, watch_errors
from tests.contrib.htmx_shop import RUNTIME_LISTENS
from tests.demo_site.conftest import Shop, open_shop

pytestmark = pytest.mark.browser

TRACKS = """() => Array.from(document.querySelectorAll(
  '#pixel-inspector li.call[data-method=track]')).map(li => li.dataset.event)"""


@pytest.mark.skipif(
    not RUNTIME_LISTENS,
    reason="the runtime's tiktok-pixel listener (branch issue-runtime-js) is not merged yet",
)
def test_add_to_cart_from_the_listing_without_a_reload(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    page.goto(shop.url + "/")
    page.wait_for_function("() => window.htmx && window.__pixelInspector")
    page.evaluate("() => { window.__sameDocument = true; }")
    card = page.locator(".card").first
    card.get_by_role("button", name="Add to cart").click()
    card.locator(".card-added").filter(has_text="1 in cart").wait_for()
    page.wait_for_function(f"() => ({TRACKS})().includes('AddToCart')")
    assert page.evaluate(TRACKS).count("AddToCart") == 1  # beside the listing's own calls
    assert page.evaluate("() => window.__sameDocument") is True  # no reload happened
    page.goto(shop.url + "/cart")  # shown once: the cart page does not repeat it
    page.wait_for_function("() => window.__pixelInspector")
    assert "AddToCart" not in page.evaluate(TRACKS)
    assert csp_violations(page) == []
    assert errors == []
