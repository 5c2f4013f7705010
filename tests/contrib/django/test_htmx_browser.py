"""htmx in Chromium with the real htmx library, against Django: sync (WSGI) and async (uvicorn).

The same shop and checks as ``tests/contrib/test_htmx_browser.py`` (:mod:`tests.contrib.htmx_shop`),
with async views; under WSGI Django runs them through ``async_to_sync``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler

from tests.contrib.htmx_shop import check_shop, shop_page
from tests.live_server import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def htmx_site(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "tests.contrib.django.async_urls"
    settings.MIDDLEWARE = [
        "tests.contrib.django.async_views.StrictCsp",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]
    yield


def test_django_wsgi(browser: Any) -> None:
    with serve_wsgi(WSGIHandler()) as base_url, shop_page(browser, base_url) as page:
        check_shop(page, base_url)


def test_django_asgi(browser: Any) -> None:
    with serve_asgi(ASGIHandler()) as base_url, shop_page(browser, base_url) as page:
        check_shop(page, base_url)
