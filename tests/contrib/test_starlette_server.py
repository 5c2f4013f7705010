"""Starlette under a real uvicorn server: 200 concurrent visitors, each page only its own hashes."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.contrib.starlette_shop import create_app
from tests.live_server import in_fresh_thread, serve_asgi
from tiktok_pixel import hash_field

VISITORS = 200
HASH = re.compile(r"\b[0-9a-f]{64}\b")


async def visit(base: str, n: int, start: asyncio.Event) -> tuple[set[str], set[str]]:
    """One visitor (own cookie jar): sign in (post/redirect/get) or open the account page."""
    email, user = f"Visitor.{n}@Example.com", f"visitor-{n}"
    params = {"email": email, "user": user}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await start.wait()
        if n % 2:
            response = await client.post("/signin", params=params, follow_redirects=True)
        else:
            response = await client.get("/account", params=params)
    assert response.status_code == 200
    expected = {hash_field("email", email), hash_field("external_id", user)}
    return set(HASH.findall(response.text)), expected


async def visit_all(base: str) -> list[tuple[set[str], set[str]]]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(visit(base, n, start)) for n in range(VISITORS)]
    await asyncio.sleep(0.1)
    start.set()
    return await asyncio.gather(*tasks)


def test_200_concurrent_visitors_each_see_only_their_own_hashes() -> None:
    with serve_asgi(create_app()) as base:
        pages = in_fresh_thread(lambda: asyncio.run(visit_all(base)))
    assert len(pages) == VISITORS
    for seen, expected in pages:
        assert seen == expected
