"""A small Starlette shop for the Starlette tests (and the htmx browser tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from jinja2 import DictLoader, Environment
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from tests.conftest import CODE
from tiktok_pixel.contrib.starlette import TikTokPixelMiddleware, get_pixel, install

TEMPLATES = {
    "base.html": (
        "<!doctype html><html><head><meta charset=utf-8><title>shop</title>"
        "{% tiktok_pixel %}{% block head %}{% endblock %}</head>"
        "<body>{% block body %}{% endblock %}</body></html>"
    ),
    "page.html": "{% extends 'base.html' %}{% block body %}<p>{{ text }}</p>{% endblock %}",
}

UNTAGGED = "<!doctype html><html><head><title>plain</title></head><body>hi</body></html>"


def templates() -> Jinja2Templates:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    result = Jinja2Templates(env=env)
    install(result)
    return result


def routes(tpl: Jinja2Templates) -> list[Route]:
    def page(request: Request, text: str) -> Response:
        return tpl.TemplateResponse(request, "page.html", {"text": text})

    async def product(request: Request) -> Response:
        sku = request.path_params["sku"]
        pixel = get_pixel(request)
        email = request.query_params.get("email")
        if email:
            pixel.identify(email=email)
        pixel.track(
            "ViewContent",
            contents=[{"content_id": sku, "price": 12.5, "quantity": 1}],
            value=12.5,
            currency="EUR",
            event_id=f"view-{sku}",
        )
        return page(request, f"product {sku}")

    async def add_to_cart(request: Request) -> Response:
        event_id = request.query_params.get("event_id", "cart-1")
        request.state.tiktok_pixel.track("AddToCart", value=25, currency="EUR", event_id=event_id)
        if request.headers.get("HX-Request") == "true":
            return HTMLResponse('<span id="count">1 in cart</span>')
        return RedirectResponse("/cart", status_code=303)

    async def cart(request: Request) -> Response:
        return page(request, "your cart")

    async def untagged(request: Request) -> Response:
        get_pixel(request).track("ViewContent", event_id="untagged-1")
        return HTMLResponse(UNTAGGED)

    async def streamed(request: Request) -> Response:
        get_pixel(request).track("ViewContent", event_id="stream-1")

        async def chunks() -> AsyncIterator[bytes]:
            yield b"<!doctype html><html><head><title>s</title></head>"
            yield b"<body>streamed</body></html>"

        return StreamingResponse(chunks(), media_type="text/html")

    async def api(request: Request) -> Response:
        get_pixel(request).track("ViewContent", event_id="json-1")
        return JSONResponse({"ok": True})

    async def boom(request: Request) -> Response:
        get_pixel(request).track("Purchase", value=9, currency="EUR", event_id="boom-1")
        raise RuntimeError("the view failed")

    async def signin(request: Request) -> Response:
        get_pixel(request).identify(
            email=request.query_params["email"], external_id=request.query_params["user"]
        )
        await asyncio.sleep(0)  # let other requests run in between
        return RedirectResponse("/account", status_code=303)

    async def account(request: Request) -> Response:
        if "email" in request.query_params:
            get_pixel(request).identify(
                email=request.query_params["email"], external_id=request.query_params["user"]
            )
        await asyncio.sleep(0)
        return page(request, "your account")

    return [
        Route("/signin", signin, methods=["POST"]),
        Route("/account", account),
        Route("/product/{sku}", product),
        Route("/cart", add_to_cart, methods=["POST"]),
        Route("/cart", cart),
        Route("/untagged", untagged),
        Route("/stream", streamed),
        Route("/api", api),
        Route("/boom", boom),
    ]


#: The shop's secret: the middleware's ``secret_key`` (it signs calls carried over a redirect).
SECRET = "test-secret"


def create_app(**options: Any) -> Starlette:
    """The shop, with the middleware's ``options`` over a working default (one pixel, a secret;
    ``secret_key=None`` for a shop that cannot carry calls)."""
    options.setdefault("pixel_code", CODE)
    options.setdefault("secret_key", SECRET)
    middleware = [Middleware(TikTokPixelMiddleware, **options)]
    return Starlette(routes=routes(templates()), middleware=middleware)


def create_htmx_app(**options: Any) -> Starlette:
    """The htmx shop (:mod:`tests.contrib.htmx_shop`) under a strict nonce CSP."""
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from tests.contrib import htmx_shop

    env = Environment(loader=DictLoader({"page.html": htmx_shop.JINJA_PAGE}), autoescape=True)
    tpl = Jinja2Templates(env=env)
    install(tpl)

    def page(request: Request, title: str, body: str) -> Response:
        context = {"title": title, "body": body, "csp_nonce": request.state.csp_nonce}
        return tpl.TemplateResponse(request, "page.html", context)

    async def listing(request: Request) -> Response:
        return page(request, "Listing", htmx_shop.LISTING_BODY)

    async def product(request: Request) -> Response:
        get_pixel(request).track("ViewContent", content_ids="sku-1", value=12.5, currency="EUR")
        return page(request, "Sneaker", htmx_shop.PRODUCT_BODY)

    async def cart(request: Request) -> Response:
        get_pixel(request).track("AddToCart", content_ids="sku-1", value=12.5, currency="EUR")
        return HTMLResponse(htmx_shop.CART_FRAGMENT)

    async def search(request: Request) -> Response:
        get_pixel(request).track("Search", query=request.query_params.get("q", ""))
        return HTMLResponse(htmx_shop.SEARCH_FRAGMENT)

    class StrictCsp:
        """A fresh nonce per request (``request.state.csp_nonce``) and the CSP header."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            nonce = htmx_shop.new_nonce()
            scope.setdefault("state", {})["csp_nonce"] = nonce

            async def with_csp(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message)["Content-Security-Policy"] = htmx_shop.csp(nonce)
                await send(message)

            await self.app(scope, receive, with_csp)

    options.setdefault("pixel_code", CODE)
    options.setdefault("nonce", lambda request: request.state.csp_nonce)
    options.setdefault("secret_key", SECRET)
    return Starlette(
        routes=[
            Route("/", listing),
            Route("/product/sku-1", product),
            Route("/cart", cart, methods=["POST"]),
            Route("/search", search),
        ],
        middleware=[
            Middleware(StrictCsp),
            Middleware(TikTokPixelMiddleware, **options),
        ],
    )
