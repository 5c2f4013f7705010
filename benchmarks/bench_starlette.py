"""The cost of ``TikTokPixelMiddleware`` per Starlette request, against the same app without it.

Both apps serve the same Jinja product page (a few KB, a loop) from ``Jinja2Templates``; the
requests are driven straight through the ASGI interface (no server, no socket), a batch at a
time in one event loop. Three pairs, timed interleaved in one process with thread CPU time
(``common.paired``):

- ``idle, tiny page``: the same, for a one-line page (no template): the middleware's own cost
  against the least an endpoint can cost; beside it, for scale, a do-nothing pure ASGI
  middleware that only wraps ``send``;
- ``idle``: the middleware installed, the view tracks nothing and the template has no tag: what
  every request pays (the wrapped ``send``, the request's pixel, the htmx header check);
- ``tracked``: the view identifies and tracks 3 events and the template renders the tag;
- ``auto-inject``: the same calls, no tag, ``auto_inject=True`` (the body is held and spliced).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from jinja2 import DictLoader, Environment
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from tiktok_pixel.contrib.starlette import TikTokPixelMiddleware, get_pixel, install

from .bench_flask import LINKS, PAGE, PAGE_WITH, PRODUCT, RELATED
from .common import Result, paired
from .fixtures import CODE

#: Requests per timed call (one event-loop run), so the loop's own cost is spread thin.
BATCH = 20

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/p/sku-1",
    "raw_path": b"/p/sku-1",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"shop.test"), (b"user-agent", b"bench"), (b"accept", b"text/html")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


class PassThrough:
    """The least a pure ASGI middleware that watches the response does: wrap ``send``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        status = []

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)


def make_tiny_app(*, pixel: bool, passthrough: bool = False) -> Starlette:
    """A one-line HTML page and no tracking: the middleware's own cost stands out."""

    async def tiny(request: Request) -> Response:
        return HTMLResponse("<!doctype html><title>t</title><p>hi")

    middleware = [Middleware(TikTokPixelMiddleware, pixel_code=CODE)] if pixel else []
    if passthrough:
        middleware = [Middleware(PassThrough)]
    return Starlette(routes=[Route("/p/{sku}", tiny)], middleware=middleware)


def make_app(*, pixel: bool, track: bool, tag: bool, auto_inject: bool = False) -> Starlette:
    env = Environment(loader=DictLoader({"page.html": PAGE_WITH if tag else PAGE}), autoescape=True)
    templates = Jinja2Templates(env=env)
    if pixel:
        install(templates)

    async def product(request: Request) -> Response:
        if track:
            events = get_pixel(request)
            events.identify(email="ann@example.com", external_id="u-1")
            item = {"content_id": "sku-1", "price": 12.5, "quantity": 1}
            events.track("ViewContent", contents=[item], value=12.5, currency="EUR")
            events.track("AddToWishlist", contents=[item], value=12.5, currency="EUR")
            events.track("Search", query="mug")
        context = {"product": PRODUCT, "related": RELATED, "links": LINKS}
        return templates.TemplateResponse(request, "page.html", context)

    middleware = []
    if pixel:
        middleware.append(
            Middleware(TikTokPixelMiddleware, pixel_code=CODE, auto_inject=auto_inject)
        )
    return Starlette(routes=[Route("/p/{sku}", product)], middleware=middleware)


def driver(app: Starlette, loop: asyncio.AbstractEventLoop) -> Callable[[], int]:
    """A callable running ``BATCH`` requests through ``app``; returns the bytes answered."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def batch() -> int:
        size = 0
        for _ in range(BATCH):
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
                sent.append(message)

            await app(dict(SCOPE), receive, send)
            assert sent[0]["status"] == 200
            size += len(sent[-1].get("body", b""))
        return size

    return lambda: loop.run_until_complete(batch())


def run(quick: bool) -> list[Result]:
    rounds, number = (6, 2) if quick else (40, 10)
    loop = asyncio.new_event_loop()
    try:
        bare = driver(make_app(pixel=False, track=False, tag=False), loop)
        pairs = {
            "idle": driver(make_app(pixel=True, track=False, tag=False), loop),
            "tracked": driver(make_app(pixel=True, track=True, tag=True), loop),
            "auto-inject": driver(
                make_app(pixel=True, track=True, tag=False, auto_inject=True), loop
            ),
        }
        tiny_bare = driver(make_tiny_app(pixel=False), loop)
        tiny_with = driver(make_tiny_app(pixel=True), loop)
        results = []
        tiny_passthrough = driver(make_tiny_app(pixel=False, passthrough=True), loop)
        runs = [
            ("idle, tiny page", tiny_with, tiny_bare),
            ("reference: a do-nothing ASGI middleware, tiny page", tiny_passthrough, tiny_bare),
        ]
        runs += [(name, with_pixel, bare) for name, with_pixel in pairs.items()]
        for name, with_pixel, without in runs:
            timing = paired(with_pixel, without, rounds=rounds, number=number)
            added = (timing.a_us - timing.b_us) / BATCH
            results.append(
                Result(
                    name
                    if name.startswith("reference")
                    else f"starlette middleware, {name}: added per request",
                    added,
                    "us",
                    note=(
                        f"with/without CPU time ratio min {timing.ratio_min:.3f}, median "
                        f"{timing.ratio_median:.3f}; without: {timing.b_us / BATCH:.0f} us/request"
                    ),
                )
            )
        return results
    finally:
        loop.close()
