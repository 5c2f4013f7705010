"""htmx in Chromium with the real htmx library, against Starlette (uvicorn) and Flask (wsgiref).

A product card's ``hx-post`` add-to-cart gives one AddToCart in ``ttq``, an ``hx-get`` search
gives one Search, boosted navigation gives one page view per page, all under a strict nonce
CSP with ``htmx.config.allowScriptTags = false`` (see :mod:`tests.contrib.htmx_shop`). Django:
``tests/contrib/django/test_htmx_browser.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contrib.htmx_shop import check_shop, shop_page
from tests.live_server import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser


def test_starlette(browser: Any) -> None:
    from tests.contrib.starlette_shop import create_htmx_app

    with serve_asgi(create_htmx_app()) as base_url, shop_page(browser, base_url) as page:
        check_shop(page, base_url)


def test_flask(browser: Any) -> None:
    from tests.contrib.flask_htmx_shop import create_htmx_app

    with serve_wsgi(create_htmx_app()) as base_url, shop_page(browser, base_url) as page:
        check_shop(page, base_url)
