"""One htmx shop, served by each framework, for the htmx browser tests.

The listing page has a product card whose button adds to the cart with ``hx-post`` (the answer
is a fragment), a search button (``hx-get``, a fragment) and boosted links (``hx-boost`` on
``<body>``). Every page is served under a strict nonce CSP with
``htmx.config.allowScriptTags = false``; htmx itself comes from ``tests/js/node_modules``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tiktok_pixel import runtime

#: htmx from npm (``make test-js``), served to the browser by the test's route.
HTMX_JS = (
    Path(__file__).resolve().parents[1] / "js" / "node_modules" / "htmx.org" / "dist" / "htmx.js"
)

HTMX_URL = "/static/htmx.js"

#: What htmx reads at start-up: no script in a swapped fragment ever runs, no inline style.
HTMX_CONFIG = '{"allowScriptTags": false, "includeIndicatorStyles": false}'

#: Whether our runtime replays the ``tiktok-pixel`` event itself (it does from the release that
#: defines ``runtime.EVENT_NAME``); until then the test pages install :data:`LISTENER`.
RUNTIME_LISTENS = hasattr(runtime, "EVENT_NAME")

#: Stand-in for the runtime's listener, only while the runtime has none: replays the
#: ``tiktok-pixel`` event's calls on ttq.
LISTENER = (
    ""
    if RUNTIME_LISTENS
    else 'document.addEventListener("tiktok-pixel", function (e) {'
    " var c = e.detail.calls, q = window.ttq;"
    " for (var i = 0; i < c.length; i++) q[c[i][0]].apply(q, c[i].slice(1)); });"
)

#: The body of each page, by path (``{count}``-free: the fragments update it).
LISTING_BODY = (
    '<h1>Listing</h1><p><a id="to-product" href="/product/sku-1">Sneaker</a></p>'
    '<div class="card"><button id="add" hx-post="/cart" hx-target="#count">Add to cart</button>'
    '<span id="count">0 in cart</span></div>'
    '<button id="search" hx-get="/search?q=red+shoes" hx-target="#results">Search</button>'
    '<div id="results"></div>'
)
PRODUCT_BODY = '<h1>Sneaker</h1><p><a id="to-home" href="/">Back to the listing</a></p>'
CART_FRAGMENT = "1 in cart"
SEARCH_FRAGMENT = '<p class="hit">Red shoes</p>'

#: The Jinja template of every full page (Starlette, Flask): ``title``, ``body``, ``csp_nonce``.
JINJA_PAGE = (
    "<!doctype html><html><head><meta charset=utf-8><title>{{ title }}</title>"
    '<meta name="htmx-config" content=\'' + HTMX_CONFIG + "'>"
    "{% tiktok_pixel %}"
    '<script src="' + HTMX_URL + '" nonce="{{ csp_nonce }}"></script>'
    '<script nonce="{{ csp_nonce }}">' + LISTENER + "</script>"
    '</head><body hx-boost="true">{{ body|safe }}</body></html>'
)

#: The same page in the Django template language.
DJANGO_PAGE = JINJA_PAGE.replace("{% tiktok_pixel %}", "{% load tiktok_pixel %}{% tiktok_pixel %}")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def csp(nonce: str) -> str:
    """A strict nonce CSP: only scripts with the nonce (and what they load), no inline style."""
    return (
        f"default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic'; "
        "connect-src 'self' https://analytics.tiktok.com; object-src 'none'; base-uri 'none'"
    )


#: The ttq queue's calls by method (and event name for track).
COUNT = """([method, event]) => Array.from(window.ttq || []).filter(
  (a) => a[0] === method && (event == null || a[1] === event)).length"""


@contextmanager
def shop_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page whose requests go to the server, htmx to the npm file, TikTok to a stand-in."""
    from tests.browser import SDK_STANDIN, TIKTOK_HOSTS

    if not HTMX_JS.exists():
        raise AssertionError(f"{HTMX_JS} is missing: run `make test-js` (npm ci in tests/js)")
    htmx_js = HTMX_JS.read_bytes()
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)

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


def check_shop(page: Any, base_url: str) -> None:
    """Add to cart (hx-post), search (hx-get), two boosted navigations: each call once."""
    from tests.browser import csp_violations, watch_errors

    errors = watch_errors(page)
    page.goto(base_url + "/")
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1 && window.htmx")
    assert page.evaluate("() => htmx.config.allowScriptTags") is False
    assert count(page, "page") == 1

    page.click("#add")
    page.wait_for_function(
        f"() => document.querySelector('#count').textContent === {CART_FRAGMENT!r}"
    )
    page.wait_for_function(COUNT, arg=["track", "AddToCart"])
    assert count(page, "track", "AddToCart") == 1

    page.click("#search")
    page.wait_for_selector("#results .hit")
    page.wait_for_function(COUNT, arg=["track", "Search"])
    assert count(page, "track", "Search") == 1

    page.click("#to-product")  # boosted: htmx swaps the body, the head stays
    page.wait_for_function("() => document.title === 'Sneaker'")
    page.wait_for_function(COUNT, arg=["track", "ViewContent"])
    assert page.url == base_url + "/product/sku-1"
    page.click("#to-home")
    page.wait_for_function("() => document.title === 'Listing'")
    page.wait_for_function(COUNT + " === 3", arg=["page"])

    assert count(page, "page") == 3  # the first load and two boosted navigations
    assert count(page, "track", "ViewContent") == 1
    assert count(page, "track", "AddToCart") == 1
    assert count(page, "track", "Search") == 1
    assert page.evaluate("() => window.__sdkRuns.length") == 1  # never a full reload
    assert csp_violations(page) == []
    assert errors == []


#: ``(method, path, headers) -> (status, headers (lower-case names), body)``: one request
#: through a framework's test client.
Send = Callable[[str, str, dict[str, str]], tuple[int, dict[str, str], str]]

HX = {"HX-Request": "true"}


def trigger_calls(headers: dict[str, str]) -> list[list[Any]]:
    value = headers["hx-trigger"]
    assert value.isascii()
    return list(json.loads(value)["tiktok-pixel"]["calls"])


def check_server(send: Send) -> None:
    """The htmx rules as seen by a client: fragments, boosted pages, full pages."""
    # a full page: the tag renders the calls in <head>, no header
    status, headers, body = send("GET", "/product/sku-1", {})
    assert status == 200 and "hx-trigger" not in headers
    assert '"ViewContent"' in body
    # a fragment: the body as the view made it, the call in HX-Trigger
    status, headers, body = send("POST", "/cart", HX)
    assert body == CART_FRAGMENT
    [call] = trigger_calls(headers)
    assert call[:2] == ["track", "AddToCart"]
    assert call[2]["value"] == 12.5
    status, headers, body = send("GET", "/search?q=red+shoes", HX)
    assert body == SEARCH_FRAGMENT
    [call] = trigger_calls(headers)
    assert call[:3] == ["track", "Search", {"query": "red shoes"}]
    # boosted: a page view and the page's calls by header; the tag renders nothing
    status, headers, body = send("GET", "/product/sku-1", {**HX, "HX-Boosted": "true"})
    assert "<script>" not in body.replace(f'<script src="{HTMX_URL}"', "")
    assert "ttq" not in body.split("</head>")[0].replace(LISTENER, "")
    page, view = trigger_calls(headers)
    assert page == ["page"]
    assert view[:2] == ["track", "ViewContent"]
    # a boosted page that tracks nothing: just the page view
    status, headers, body = send("GET", "/", {**HX, "HX-Boosted": "true"})
    assert trigger_calls(headers) == [["page"]]
    # the same view without htmx: no header
    status, headers, body = send("GET", "/search?q=x", {})
    assert "hx-trigger" not in headers
