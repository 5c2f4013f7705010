"""One htmx shop, served by each framework, for the htmx browser tests.

The listing page has a product card whose button adds to the cart with ``hx-post`` (the answer
is a fragment), a search button (``hx-get``, a fragment) and boosted links (``hx-boost`` on
``<body>``). Every page is served under a strict nonce CSP with
``htmx.config.allowScriptTags = false``; htmx itself comes from ``tests/js/node_modules``.
"""

from __future__ import annotations

import secrets
from pathlib import Path

#: htmx from npm (``make test-js``), served to the browser by the test's route.
HTMX_JS = (
    Path(__file__).resolve().parents[1] / "js" / "node_modules" / "htmx.org" / "dist" / "htmx.js"
)

HTMX_URL = "/static/htmx.js"

#: What htmx reads at start-up: no script in a swapped fragment ever runs, no inline style.
HTMX_CONFIG = '{"allowScriptTags": false, "includeIndicatorStyles": false}'

#: Stand-in for our runtime's listener until it ships in tiktok_pixel's runtime: replays the
#: ``tiktok-pixel`` event's calls on ttq.
LISTENER = (
    'document.addEventListener("tiktok-pixel", function (e) {'
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
