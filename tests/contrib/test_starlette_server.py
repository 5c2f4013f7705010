"""Starlette under a real uvicorn server: 200 concurrent visitors, each page only its own hashes."""

from __future__ import annotations

from tests.contrib.starlette_shop import create_app
from tests.live_server import VISITORS, concurrent_visitors, serve_asgi


def test_200_concurrent_visitors_each_see_only_their_own_hashes() -> None:
    with serve_asgi(create_app()) as base:
        pages = concurrent_visitors(base, signin="/signin", account="/account")
    assert len(pages) == VISITORS
    for seen, expected in pages:
        assert seen == expected
