"""The Starlette/FastAPI integration through Starlette's TestClient (httpx underneath)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from tests.conftest import CODE
from tests.contrib.starlette_shop import UNTAGGED, create_app
from tiktok_pixel import PageEvents
from tiktok_pixel.contrib.starlette import TikTokPixelMiddleware, get_pixel
from tiktok_pixel.testing import calls_in


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def args(html: str) -> list[list[Any]]:
    """The page's calls besides the loader's own ``load`` and ``page``."""
    return [call.args() for call in calls_in(html) if call.method not in ("load", "page")]


def client(**options: Any) -> TestClient:
    return TestClient(create_app(**options))


def test_tag_renders_the_requests_calls_with_identify_hashed() -> None:
    response = client().get("/product/sku-1?email=Ann@Example.com")
    assert response.status_code == 200
    assert args(response.text) == [
        ["identify", {"email": sha("ann@example.com")}],
        [
            "track",
            "ViewContent",
            {
                "contents": [{"content_id": "sku-1", "price": 12.5, "quantity": 1}],
                "value": 12.5,
                "currency": "EUR",
            },
            {"event_id": "view-sku-1"},
        ],
    ]
    assert "Ann@Example.com" not in response.text
    assert f'"{CODE}"' in response.text


def test_post_redirect_get_renders_the_carried_call_once() -> None:
    shop = client()
    posted = shop.post("/cart?event_id=cart-9", follow_redirects=False)
    assert posted.status_code == 303
    assert "tiktok_pixel_carry" in posted.cookies
    page = shop.get("/cart")
    assert args(page.text) == [
        ["track", "AddToCart", {"value": 25, "currency": "EUR"}, {"event_id": "cart-9"}]
    ]
    assert args(shop.get("/cart").text) == []


def test_a_redirect_without_a_secret_key_drops_the_calls_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shop = client(secret_key=None)
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert shop.post("/cart", follow_redirects=False).status_code == 303
    assert "were dropped" in caplog.text
    assert args(shop.get("/cart").text) == []


def test_the_carry_cookie_follows_https_only_and_the_root_path() -> None:
    shop = TestClient(create_app(https_only=True), root_path="/shop", base_url="https://shop.test")
    posted = shop.post("/cart?event_id=cart-9", follow_redirects=False)
    [cookie] = posted.headers.get_list("set-cookie")
    assert cookie.startswith("tiktok_pixel_carry=")
    assert cookie.endswith("; Max-Age=300; Path=/shop; HttpOnly; SameSite=Lax; Secure")


def test_secret_key_takes_a_string_or_a_starlette_secret() -> None:
    from starlette.datastructures import Secret

    shop = client(secret_key=Secret("from-the-environment"))
    shop.post("/cart?event_id=cart-9", follow_redirects=False)
    assert [call[3] for call in args(shop.get("/cart").text)] == [{"event_id": "cart-9"}]
    for bad in ("", 42):
        with pytest.raises(ValueError, match="secret_key must be a non-empty string"):
            TikTokPixelMiddleware(create_app(), pixel_code=CODE, secret_key=bad)
    with pytest.raises(ValueError, match="https_only must be True or False"):
        TikTokPixelMiddleware(create_app(), pixel_code=CODE, https_only="yes")


def test_auto_inject_puts_the_fragment_before_head_end_and_fixes_the_length() -> None:
    response = client(auto_inject=True).get("/untagged")
    html = response.text
    assert html.index("<script") < html.index("</head>")
    assert html.replace(html[html.index("<script") : html.index("</head>")], "") == UNTAGGED
    assert int(response.headers["content-length"]) == len(response.content)
    assert args(html) == [["track", "ViewContent", {}, {"event_id": "untagged-1"}]]


def test_auto_inject_is_off_by_default_and_skips_streams_and_json() -> None:
    assert client().get("/untagged").text == UNTAGGED
    shop = client(auto_inject=True)
    assert "<script" not in shop.get("/stream").text
    assert shop.get("/api").json() == {"ok": True}


def test_a_tagged_page_is_not_injected_twice() -> None:
    html = client(auto_inject=True).get("/product/sku-2").text
    assert html.count("<script") == 1
    assert len(args(html)) == 1


def test_a_failing_view_carries_nothing() -> None:
    shop = TestClient(create_app(), raise_server_exceptions=False)
    assert shop.get("/boom").status_code == 500
    assert args(shop.get("/cart").text) == []


def test_nonce_callable_sets_every_script_nonce() -> None:
    html = client(nonce=lambda request: "r4nd0mN0nce", inline=False).get("/product/a").text
    tags = re.findall(r"<script[^>]*>", html)
    assert len(tags) == 2
    assert all('nonce="r4nd0mN0nce"' in tag for tag in tags)


def test_no_inline_mode_serves_the_runtime_script() -> None:
    shop = client(inline=False)
    html = shop.get("/product/a").text
    [src] = re.findall(r'<script src="([^"]+)" async', html)
    assert src.startswith("/_tiktok_pixel/tiktok_pixel.")
    script = shop.get(src)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "immutable" in script.headers["cache-control"]
    assert shop.get("/_tiktok_pixel/tiktok_pixel.0000000000000000.js").status_code == 404
    assert shop.get("/_tiktok_pixel/other.js").status_code == 404


def test_inline_mode_serves_no_script() -> None:
    assert client().get("/_tiktok_pixel/tiktok_pixel.js").status_code == 404


def test_disabled_renders_nothing_and_needs_no_code() -> None:
    response = client(enabled=False, pixel_code=None).get("/product/a")
    assert response.status_code == 200
    assert "<script" not in response.text


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"pixel_id": CODE}, "pixel_id; did you mean pixel_code?"),
        ({"default_phone_region": "XX"}, "default_phone_region"),
        ({"consent": "later"}, "consent"),
        ({"auto_inject": "yes"}, "auto_inject"),
        ({"enabled": 1}, "enabled"),
        ({"nonce": "abc"}, "nonce"),
        ({"consent_granted": True}, "consent_granted"),
        ({"events_api": "token"}, "events_api"),
        ({"pixel_code": "not a code"}, "pixel_code"),
    ],
)
def test_bad_options_raise_at_construction_naming_the_option(
    options: dict[str, Any], named: str
) -> None:
    options.setdefault("pixel_code", CODE)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    with pytest.raises(ValueError, match=re.escape(named)):
        TikTokPixelMiddleware(app, **options)


def test_get_pixel_without_the_middleware_says_so() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    with pytest.raises(RuntimeError, match="TikTokPixelMiddleware is not installed"):
        get_pixel(request)


def test_fastapi_dependency_and_template_tag() -> None:
    from fastapi import Depends, FastAPI
    from fastapi.responses import HTMLResponse

    from tests.contrib.starlette_shop import templates

    app = FastAPI()
    app.add_middleware(TikTokPixelMiddleware, pixel_code=CODE)
    tpl = templates()

    @app.get("/thanks", response_class=HTMLResponse)
    async def thanks(request: Request, pixel: PageEvents = Depends(get_pixel)) -> Any:  # noqa: B008
        pixel.track("CompletePayment", value=30, currency="EUR", event_id="order-1")
        assert request.state.tiktok_pixel is pixel
        return tpl.TemplateResponse(request, "page.html", {"text": "thanks"})

    html = TestClient(app).get("/thanks").text
    assert args(html) == [
        ["track", "CompletePayment", {"value": 30, "currency": "EUR"}, {"event_id": "order-1"}]
    ]


# htmx requests: the calls travel in HX-Trigger ------------------------------------------------

HX = {"HX-Request": "true"}


def trigger_calls(response: Any) -> list[list[Any]]:
    return json.loads(response.headers["hx-trigger"])["tiktok-pixel"]["calls"]


def test_htmx_fragment_gets_its_calls_in_hx_trigger_and_an_unchanged_body() -> None:
    response = client(auto_inject=True).post("/cart?event_id=hx-1", headers=HX)
    assert response.text == '<span id="count">1 in cart</span>'
    assert trigger_calls(response) == [
        ["track", "AddToCart", {"value": 25, "currency": "EUR"}, {"event_id": "hx-1"}]
    ]


def test_htmx_boosted_page_sends_a_page_view_and_its_calls_once_by_header() -> None:
    response = client().get("/product/b", headers={**HX, "HX-Boosted": "true"})
    assert "<script" not in response.text  # the tag renders nothing: htmx ignores <head>
    calls = trigger_calls(response)
    assert calls[0] == ["page"]
    assert [call[1] for call in calls[1:]] == ["ViewContent"]


def test_htmx_request_takes_the_calls_carried_by_a_redirect() -> None:
    shop = client()
    shop.post("/cart?event_id=prg-1", follow_redirects=False)
    response = shop.get("/cart", headers=HX)
    assert [call[3] for call in trigger_calls(response)] == [{"event_id": "prg-1"}]
    assert args(shop.get("/cart").text) == []  # shown once: the cookie is deleted


def test_hx_redirect_carries_the_calls_to_the_next_page() -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    from tests.contrib.starlette_shop import routes, templates

    async def place(request: Request) -> Response:
        get_pixel(request).track("PlaceAnOrder", value=9, currency="EUR", event_id="order-7")
        return HTMLResponse("", headers={"HX-Redirect": "/cart"})

    app = Starlette(
        routes=[Route("/place", place, methods=["POST"]), *routes(templates())],
        middleware=[
            Middleware(TikTokPixelMiddleware, pixel_code=CODE, secret_key="test-secret"),
        ],
    )
    shop = TestClient(app)
    answer = shop.post("/place", headers=HX)
    assert "hx-trigger" not in answer.headers
    assert [call[3] for call in args(shop.get("/cart").text)] == [{"event_id": "order-7"}]


def test_htmx_calls_too_large_for_the_header_wait_for_the_next_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    from tests.contrib.starlette_shop import routes, templates

    async def many(request: Request) -> Response:
        for n in range(12):
            get_pixel(request).track("ViewContent", description="x" * 400, event_id=f"v-{n}")
        return HTMLResponse("<p>many</p>")

    app = Starlette(
        routes=[Route("/many", many), *routes(templates())],
        middleware=[
            Middleware(TikTokPixelMiddleware, pixel_code=CODE, secret_key="test-secret"),
        ],
    )
    shop = TestClient(app)
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        answer = shop.get("/many", headers=HX)
    assert "hx-trigger" not in answer.headers
    assert "did not fit in its HX-Trigger header" in caplog.text
    assert len(args(shop.get("/cart").text)) == 12


def test_htmx_request_of_a_failing_view_sends_nothing() -> None:
    shop = TestClient(create_app(), raise_server_exceptions=False)
    answer = shop.get("/boom", headers=HX)
    assert answer.status_code == 500
    assert "hx-trigger" not in answer.headers


def test_events_api_mirrors_the_track_calls_with_the_request_context(api: Any) -> None:
    from tests.events_api.fake_api import TOKEN

    options = {
        "access_token": TOKEN,
        "endpoint": api.url,
        "flush_interval": 0.05,
        "timeout": 2.0,
        "shutdown_timeout": 2.0,
    }
    app = create_app(events_api=options)
    shop = TestClient(app, client=("203.0.113.9", 50000))
    page = shop.get("/product/sku-3?ttclid=click-1", headers={"User-Agent": "TestBrowser/1.0"})
    [track] = calls_in(page.text).tracks
    middleware = app.middleware_stack
    while not isinstance(middleware, TikTokPixelMiddleware):
        middleware = middleware.app  # type: ignore[union-attr]
    mirror = middleware.site.mirror
    assert mirror is not None
    try:
        assert mirror.sender.flush(10)
        [event] = api.events()
    finally:
        assert mirror.close(timeout=5)
    assert event["event"] == "ViewContent"
    assert event["event_id"] == track.event_id
    assert event["user"]["ip"] == "203.0.113.9"
    assert event["user"]["user_agent"] == "TestBrowser/1.0"
    assert event["user"]["ttclid"] == "click-1"
    assert event["page"]["url"] == "http://testserver/product/sku-3?ttclid=click-1"


def test_lifespan_and_lifespan_state_pass_through() -> None:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, str]]:
        yield {"greeting": "hello"}

    async def hello(request: Request) -> Response:
        get_pixel(request).track("ViewContent", event_id="v-1")
        return PlainTextResponse(
            f"{request.state.greeting} {request.state.tiktok_pixel.calls[0].event}"
        )

    app = Starlette(
        routes=[Route("/", hello)],
        middleware=[Middleware(TikTokPixelMiddleware, pixel_code=CODE)],
        lifespan=lifespan,
    )
    with TestClient(app) as shop:
        assert shop.get("/").text == "hello ViewContent"


def test_no_inline_script_url_follows_the_root_path() -> None:
    shop = TestClient(create_app(inline=False), root_path="/shop")
    html = shop.get("/product/a").text
    [src] = re.findall(r'<script src="([^"]+)" async', html)
    assert src.startswith("/shop/_tiktok_pixel/tiktok_pixel.")
    assert shop.get(src).status_code == 200
