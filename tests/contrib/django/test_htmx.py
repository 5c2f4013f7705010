"""htmx requests through Django's test client, with async views (sync chain)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.contrib.htmx_shop import check_server
from tests.live_server import in_fresh_thread


def test_django(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.contrib.django.async_urls"
    settings.MIDDLEWARE = [
        "tests.contrib.django.async_views.StrictCsp",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]
    client = Client()

    def send(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        response = client.generic(method, path, headers=headers)
        names = {key.lower(): value for key, value in response.items()}
        return response.status_code, names, response.content.decode()

    # async views through async_to_sync: not in the main thread once Playwright has started there
    in_fresh_thread(lambda: check_server(send))
