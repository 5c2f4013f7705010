"""htmx in Chromium, with the real htmx library, against each framework on a real server.

A product card's ``hx-post`` add-to-cart gives one AddToCart in ``ttq``, an ``hx-get`` search
gives one Search, boosted navigation gives one page view per page, all under a strict nonce
CSP with ``htmx.config.allowScriptTags = false``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.browser import SDK_STANDIN, TIKTOK_HOSTS, csp_violations, watch_errors
from tests.contrib.htmx_shop import CART_FRAGMENT, HTMX_JS, HTMX_URL, SEARCH_FRAGMENT
from tests.live_server import serve_asgi

pytestmark = pytest.mark.browser

#: The ttq queue's calls by method (and event name for track).
COUNT = """([method, event]) => Array.from(window.ttq || []).filter(
  (a) => a[0] === method && (event == null || a[1] === event)).length"""


def starlette_server() -> AbstractContextManager[str]:
    from tests.contrib.starlette_shop import create_htmx_app

    return serve_asgi(create_htmx_app())


SERVERS: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "starlette": starlette_server,
}


@pytest.fixture(params=sorted(SERVERS))
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if not HTMX_JS.exists():
        pytest.fail(f"{HTMX_JS} is missing: run `make test-js` (npm ci in tests/js)")
    with SERVERS[request.param]() as url:
        yield url


@pytest.fixture
def shop(browser: Any, base_url: str) -> Iterator[Any]:
    """A page whose requests go to the server, htmx to the npm file, TikTok to a stand-in."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    htmx_js = HTMX_JS.read_bytes()

    def handle(route: Any) -> None:
        url = route.request.url
        host = url.split("/")[2]
        if url == base_url + HTMX_URL:
            route.fulfill(status=200, content_type="text/javascript", body=htmx_js)
        elif url.startswith(base_url + "/"):
            route.continue_()
        elif host in TIKTOK_HOSTS:
            route.fulfill(status=200, content_type="application/javascript", body=SDK_STANDIN)
        else:
            route.abort()

    context.route("**/*", handle)
    try:
        yield page
    finally:
        context.close()


def count(page: Any, method: str, event: str | None = None) -> int:
    return int(page.evaluate(COUNT, [method, event]))


def test_htmx_fragments_and_boosted_pages_fire_each_call_once(shop: Any, base_url: str) -> None:
    errors = watch_errors(shop)
    shop.goto(base_url + "/")
    shop.wait_for_function("() => (window.__sdkRuns || []).length === 1 && window.htmx")
    assert shop.evaluate("() => htmx.config.allowScriptTags") is False
    assert count(shop, "page") == 1

    shop.click("#add")
    shop.wait_for_function(
        f"() => document.querySelector('#count').textContent === {CART_FRAGMENT!r}"
    )
    shop.wait_for_function(COUNT, arg=["track", "AddToCart"])
    assert count(shop, "track", "AddToCart") == 1

    shop.click("#search")
    shop.wait_for_selector("#results .hit")
    shop.wait_for_function(COUNT, arg=["track", "Search"])
    assert count(shop, "track", "Search") == 1
    assert SEARCH_FRAGMENT.startswith("<p")

    shop.click("#to-product")  # boosted: htmx swaps the body, the head stays
    shop.wait_for_function("() => document.title === 'Sneaker'")
    shop.wait_for_function(COUNT, arg=["track", "ViewContent"])
    assert shop.url == base_url + "/product/sku-1"
    shop.click("#to-home")
    shop.wait_for_function("() => document.title === 'Listing'")
    shop.wait_for_function(COUNT + " === 3", arg=["page"])

    assert count(shop, "page") == 3  # the first load and two boosted navigations
    assert count(shop, "track", "ViewContent") == 1
    assert count(shop, "track", "AddToCart") == 1
    assert count(shop, "track", "Search") == 1
    assert shop.evaluate("() => window.__sdkRuns.length") == 1  # never a full reload
    assert csp_violations(shop) == []
    assert errors == []
