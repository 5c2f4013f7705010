"""Async Django: the middleware runs as a coroutine under ASGI, with async views, under uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import SyncToAsync, iscoroutinefunction
from django.core.handlers.asgi import ASGIHandler
from django.test import override_settings

from tests.contrib.django import async_views
from tests.live_server import VISITORS, concurrent_visitors, in_fresh_thread, serve_asgi
from tiktok_pixel import hash_field
from tiktok_pixel.contrib.django.middleware import TikTokPixelMiddleware
from tiktok_pixel.testing import calls_in

SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
PIXEL = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"
HASH = re.compile(r"\b[0-9a-f]{64}\b")


@pytest.fixture(autouse=True)
def async_site(settings: Any) -> Iterator[None]:
    settings.ROOT_URLCONF = "tests.contrib.django.async_urls"
    settings.MIDDLEWARE = [SESSION, PIXEL]
    yield


def own(html: str) -> list[list[Any]]:
    return [call.args() for call in calls_in(html) if call.method not in ("load", "page")]


async def get(app: ASGIHandler, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, **kwargs)


def test_the_middleware_is_sync_and_async_capable() -> None:
    assert TikTokPixelMiddleware.sync_capable is True
    assert TikTokPixelMiddleware.async_capable is True

    async def view(request: Any) -> Any:
        return None

    assert iscoroutinefunction(TikTokPixelMiddleware(view))
    assert not iscoroutinefunction(TikTokPixelMiddleware(lambda request: None))


def hops_for_one_request(monkeypatch: pytest.MonkeyPatch, middleware: list[str]) -> int:
    """How many times Django ran something in a thread (sync_to_async) for one async view."""
    count = 0
    original = SyncToAsync.__call__

    async def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return await original(self, *args, **kwargs)

    with override_settings(MIDDLEWARE=middleware):
        app = ASGIHandler()
        monkeypatch.setattr(SyncToAsync, "__call__", counting)
        try:
            response = in_fresh_thread(lambda: asyncio.run(get(app, "/async/account/")))
        finally:
            monkeypatch.setattr(SyncToAsync, "__call__", original)
    assert response.status_code == 200
    return count


def test_an_async_view_pays_no_thread_hop_for_the_pixel(monkeypatch: pytest.MonkeyPatch) -> None:
    without = hops_for_one_request(monkeypatch, [])
    assert hops_for_one_request(monkeypatch, [PIXEL]) == without


def test_async_views_render_carry_and_inject_like_the_sync_path(settings: Any) -> None:
    settings.TIKTOK_PIXEL = {**settings.TIKTOK_PIXEL, "AUTO_INJECT": True}
    app = ASGIHandler()

    async def visit() -> tuple[str, str, str, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            params = {"email": "Ann@Example.com", "user": "u-1"}
            redirected = await client.post("/async/signin/", params=params)
            assert redirected.status_code == 303
            carried = (await client.get("/async/account/")).text
            again = (await client.get("/async/account/")).text
            injected = (await client.get("/async/untagged/")).text
        return redirected.text, carried, again, injected

    _, carried, again, injected = in_fresh_thread(lambda: asyncio.run(visit()))
    email = hashlib.sha256(b"ann@example.com").hexdigest()
    assert own(carried) == [
        ["identify", {"email": email, "external_id": hash_field("external_id", "u-1")}]
    ]
    assert own(again) == []
    assert injected.index("<script") < injected.index("</head>")
    assert own(injected) == [["track", "ViewContent", {}, {"event_id": "untagged-1"}]]


def test_a_failing_async_view_carries_nothing() -> None:
    app = ASGIHandler()

    async def visit() -> tuple[int, str]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            broken = await client.get("/async/broken/")
            return broken.status_code, (await client.get("/async/account/")).text

    status, after = in_fresh_thread(lambda: asyncio.run(visit()))
    assert status == 500
    assert own(after) == []


def test_200_concurrent_visitors_under_uvicorn_each_see_only_their_own_hashes() -> None:
    async_views.VIEW_THREADS.clear()
    with serve_asgi(ASGIHandler()) as base:
        pages = concurrent_visitors(base, signin="/async/signin/", account="/async/account/")
    assert len(pages) == VISITORS
    for seen, expected in pages:
        assert seen == expected
    # every async view ran on uvicorn's one event loop thread
    assert len(async_views.VIEW_THREADS) == 1
    assert threading.get_ident() not in async_views.VIEW_THREADS
