"""The Flask extension with the real Flask test client: tracking, redirects, nonces, injection."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.carry_forge import COOKIE_NAME, forge, read
from tests.conftest import CODE
from tests.contrib.flask_shop import UNTAGGED, create_app
from tests.payload import payloads
from tiktok_pixel.contrib.flask import get_state, pixel


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def calls(html: str) -> list[Any]:
    """The calls of the page's one payload."""
    [payload] = payloads(html)
    return payload["calls"]


def script_tags(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


VIEW = [
    "track",
    "ViewContent",
    {
        "contents": [{"content_id": "sku-1", "price": 12.5, "quantity": 1}],
        "value": 12.5,
        "currency": "EUR",
    },
    {"event_id": "view-sku-1"},
]


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("template", ["page.html", "global.html"])
def test_view_tracks_and_the_page_holds_the_calls(client: FlaskClient, template: str) -> None:
    response = client.get(f"/product/sku-1?email=Ann@Example.com&template={template}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    [payload] = payloads(html)
    assert payload["pixels"] == [CODE]
    assert payload["calls"] == [["identify", {"email": sha("ann@example.com")}], VIEW]
    assert "Ann@Example.com" not in html and "ann@example.com" not in html
    # the fragment sits in <head>
    assert html.index("<script") < html.index("</head>")


def test_page_without_calls_still_loads_the_pixel(client: FlaskClient) -> None:
    [payload] = payloads(client.get("/").get_data(as_text=True))
    assert payload == {"pixels": [CODE], "calls": []}


def test_each_request_gets_its_own_collector(client: FlaskClient) -> None:
    client.get("/product/sku-1?email=ann@example.com")
    html = client.get("/product/sku-2").get_data(as_text=True)
    assert [call[0] for call in calls(html)] == ["track"]
    assert sha("ann@example.com") not in html


# --- post/redirect/get ----------------------------------------------------------------------


def test_identify_is_carried_across_a_redirect(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "Bob@Example.com", "user": "u-7"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert calls(html) == [
        ["identify", {"email": sha("bob@example.com"), "external_id": sha("u-7")}]
    ]
    assert "bob@example.com" not in html.lower()


def test_carried_calls_come_before_the_pages_own(client: FlaskClient) -> None:
    client.post("/cart", data={"event_id": "cart-1"})
    html = client.get("/product/sku-1").get_data(as_text=True)
    assert [c[1] for c in calls(html)] == ["AddToCart", "ViewContent"]


def test_a_carry_is_found_among_other_cookies_and_only_under_its_own_name(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/cart", data={"event_id": "cart-1"})
    carried = client.get_cookie(COOKIE_NAME)
    assert carried is not None
    client.set_cookie("before", "1")
    client.set_cookie("after", COOKIE_NAME)  # the name inside another cookie's value
    html = client.get("/product/sku-1").get_data(as_text=True)
    assert [c[1] for c in calls(html)] == ["AddToCart", "ViewContent"]
    client.set_cookie("decoy", f"{COOKIE_NAME}={carried.value}")  # a value, not the cookie
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        html = client.get("/product/sku-1").get_data(as_text=True)
    assert [c[1] for c in calls(html)] == ["ViewContent"]
    assert not caplog.records


def test_carried_values_are_escaped_not_executed(client: FlaskClient) -> None:
    evil = "</script><script>alert(1)</script>"
    # signed with the app's key (as if the key leaked): still only data on the page
    client.set_cookie(
        COOKIE_NAME,
        forge(
            "test-secret",
            [{"method": "track", "event": evil, "params": {"x": evil}, "event_id": evil}],
        ),
    )
    html = client.get("/cart").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert calls(html)[0][1] == evil


def test_redirect_without_a_secret_key_drops_calls_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(SECRET_KEY=None)
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    response = app.test_client().post("/cart", data={"event_id": "cart-1"})
    assert response.status_code == 302
    [record] = caplog.records
    assert "set SECRET_KEY" in record.getMessage()


def test_the_carry_cookie_follows_session_cookie_secure_and_the_mount_path() -> None:
    app = create_app(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    posted = client.post("/cart", data={"event_id": "cart-1"}, base_url="https://shop.test/shop")
    [cookie] = posted.headers.getlist("Set-Cookie")
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert cookie.endswith("; Path=/shop; HttpOnly; SameSite=Lax; Secure")
    page = client.get("/cart", base_url="https://shop.test/shop")
    assert [c[1] for c in calls(page.get_data(as_text=True))] == ["AddToCart"]
    assert "Path=/shop;" in page.headers["Set-Cookie"]


def test_a_carry_signed_with_a_fallback_secret_is_still_shown() -> None:
    old = create_app(SECRET_KEY="old-secret").test_client()
    old.post("/cart", data={"event_id": "cart-1"})
    cookie = old.get_cookie(COOKIE_NAME)
    assert cookie is not None
    rotated = create_app(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["old-secret"])
    client = rotated.test_client()
    client.set_cookie(COOKIE_NAME, cookie.value)
    assert [c[1] for c in calls(client.get("/cart").get_data(as_text=True))] == ["AddToCart"]
    without = create_app(SECRET_KEY="new-secret").test_client()
    without.set_cookie(COOKIE_NAME, cookie.value)
    assert calls(without.get("/cart").get_data(as_text=True)) == []


# --- disabled ---------------------------------------------------------------------------


def test_disabled_renders_nothing_and_keeps_no_session() -> None:
    app = create_app(TIKTOK_PIXEL_ENABLED=False, TIKTOK_PIXEL_AUTO_INJECT=True)
    client = app.test_client()
    html = client.get("/product/sku-1?email=ann@example.com").get_data(as_text=True)
    assert "<script" not in html
    assert client.get("/untagged").get_data(as_text=True) == UNTAGGED
    response = client.post("/cart", data={"event_id": "c"})
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers
    assert "<script" not in client.get("/cart").get_data(as_text=True)


def test_testing_apps_render_the_pixel_unless_they_have_no_code() -> None:
    app = Flask(__name__)
    app.config.update(TESTING=True)  # no pixel code: nothing to render, collecting still works
    from tiktok_pixel.contrib.flask import TikTokPixel

    TikTokPixel(app)
    assert get_state(app).enabled is False
    with app.test_request_context("/"):
        assert pixel.track("ViewContent") is not None
        assert len(pixel.calls) == 1
    assert get_state(create_app(TESTING=True)).enabled is True
    assert get_state(create_app(TESTING=True, TIKTOK_PIXEL_ENABLED=None)).enabled is True


# --- the pixel proxy ---------------------------------------------------------------------


def test_pixel_outside_a_request_raises_a_clear_error(app: Flask) -> None:
    with pytest.raises(RuntimeError, match="only available during a request"):
        pixel.track("ViewContent")
    with app.app_context(), pytest.raises(RuntimeError, match="only available during a request"):
        pixel.track("ViewContent")


def test_pixel_on_an_app_without_the_extension_raises() -> None:
    with Flask(__name__).test_request_context("/"), pytest.raises(RuntimeError, match="not set up"):
        pixel.track("ViewContent")


def test_pixel_is_a_page_events_per_request(app: Flask) -> None:
    with app.test_request_context("/"):
        pixel.track("Search", query="a")
        first = pixel._get_current_object()  # type: ignore[attr-defined]
        assert len(first) == 1
    with app.test_request_context("/"):
        assert len(pixel) == 0
        assert pixel._get_current_object() is not first  # type: ignore[attr-defined]


def test_templates_rendered_outside_a_request_get_no_pixel(app: Flask) -> None:
    from flask import render_template

    with app.app_context():  # an e-mail sent from a CLI command
        html = render_template("page.html", text="mail")
    assert "<script" not in html and "mail" in html


# --- CSP nonce -------------------------------------------------------------------------


def nonce_of(request: Any) -> str:
    return "cb" + request.args.get("n", "N0nce")


@pytest.mark.parametrize("inline", [True, False])
def test_nonce_callable_on_every_script_tag(inline: bool) -> None:
    app = create_app(TIKTOK_PIXEL_NONCE=nonce_of, TIKTOK_PIXEL_INLINE=inline)
    html = app.test_client().get("/product/sku-1?n=abc123").get_data(as_text=True)
    tags = script_tags(html)
    assert len(tags) == (1 if inline else 2)
    assert all('nonce="cbabc123"' in tag for tag in tags)


def test_explicit_nonce_argument_wins() -> None:
    app = create_app(TIKTOK_PIXEL_NONCE=nonce_of)
    html = app.test_client().get("/product/sku-1?template=explicit_nonce.html").get_data(True)
    [tag] = script_tags(html)
    assert 'nonce="explicitN0nce"' in tag


def talisman_app(**config: Any) -> Flask:
    from flask_talisman import Talisman

    app = create_app(**config)
    Talisman(
        app,
        force_https=False,
        content_security_policy={"default-src": "'self'", "script-src": "'strict-dynamic'"},
        content_security_policy_nonce_in=["script-src"],
    )
    return app


@pytest.mark.parametrize("inline", [True, False])
def test_flask_talisman_nonce_is_on_every_script_tag_and_in_the_header(inline: bool) -> None:
    client = talisman_app(TIKTOK_PIXEL_INLINE=inline).test_client()
    nonces = set()
    for _ in range(2):
        response = client.get("/product/sku-1")
        header = response.headers["Content-Security-Policy"]
        [nonce] = re.findall(r"'nonce-([^']+)'", header)
        tags = script_tags(response.get_data(as_text=True))
        assert len(tags) == (1 if inline else 2)
        assert all(f'nonce="{nonce}"' in tag for tag in tags)
        nonces.add(nonce)
    assert len(nonces) == 2  # fresh per request


def test_flask_talisman_nonce_in_auto_injected_fragment() -> None:
    client = talisman_app(TIKTOK_PIXEL_AUTO_INJECT=True).test_client()
    response = client.get("/untagged")
    [nonce] = re.findall(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    [tag] = script_tags(response.get_data(as_text=True))
    assert f'nonce="{nonce}"' in tag


def test_configured_nonce_callable_wins_over_talisman() -> None:
    client = talisman_app(TIKTOK_PIXEL_NONCE=nonce_of).test_client()
    [tag] = script_tags(client.get("/product/sku-1").get_data(as_text=True))
    assert 'nonce="cbN0nce"' in tag


def bad_nonce(request: Any) -> str:
    return '"><script>alert(1)</script>'


def raising_nonce(request: Any) -> str:
    raise LookupError("no nonce today")


@pytest.mark.parametrize("nonce", [bad_nonce, raising_nonce])
def test_a_nonce_failure_logs_one_warning_and_the_page_is_served(
    nonce: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = create_app(TIKTOK_PIXEL_NONCE=nonce).test_client()
    client.post("/cart", data={"event_id": "cart-1"})
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    response = client.get("/cart")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html and "cart" in html
    [record] = caplog.records
    assert "TikTok pixel not rendered" in record.getMessage()
    assert "alert" not in record.getMessage()
    # the carried calls were not consumed by the failed render
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None and read(cookie.value)[0]["event_id"] == "cart-1"


def test_a_broken_collector_does_not_fail_the_page(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/broken")
    def broken() -> str:
        from flask import render_template

        from tiktok_pixel.contrib.flask.extension import request_pixel

        pixel.track("ViewContent")
        request_pixel().events = object()  # type: ignore[assignment]  # very wrong
        return render_template("page.html", text="still here")

    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    client = app.test_client()
    client.get("/")  # make sure a first request works
    response = client.get("/broken")
    assert response.status_code == 200
    assert "still here" in response.get_data(as_text=True)
    assert len(caplog.records) == 1


# --- auto-injection ---------------------------------------------------------------------


@pytest.fixture
def injecting() -> FlaskClient:
    return create_app(TIKTOK_PIXEL_AUTO_INJECT=True).test_client()


def test_auto_inject_puts_the_fragment_before_head_end(injecting: FlaskClient) -> None:
    response = injecting.get("/untagged")
    html = response.get_data(as_text=True)
    assert calls(html) == [["track", "ViewContent", {}, {"event_id": "untagged-1"}]]
    assert re.search(r"<title>plain</title><script>.*</script></head>", html, re.S)
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_auto_inject_leaves_pages_with_a_hand_rendered_fragment_alone(app: Flask) -> None:
    from tiktok_pixel import PageEvents

    fragment = str(PageEvents(get_state(app).config).render())

    @app.get("/by-hand")
    def by_hand() -> str:
        return f"<html><head>{fragment}</head><body></body></html>"

    # as TIKTOK_PIXEL_AUTO_INJECT = True would
    app.extensions["tiktok_pixel"] = dataclasses.replace(get_state(app), auto_inject=True)
    assert app.test_client().get("/by-hand").get_data(as_text=True).count("<script") == 1


@pytest.mark.parametrize("path", ["/api", "/stream", "/no-head"])
def test_auto_inject_leaves_non_html_streamed_and_headless_responses_alone(
    injecting: FlaskClient, path: str
) -> None:
    assert "<script" not in injecting.get(path).get_data(as_text=True)


def test_auto_inject_renders_calls_carried_across_a_redirect(injecting: FlaskClient) -> None:
    injecting.post("/cart", data={"event_id": "cart-1"})
    html = injecting.get("/untagged").get_data(as_text=True)
    assert [c[1] for c in calls(html)] == ["AddToCart", "ViewContent"]


def test_auto_inject_is_off_by_default(client: FlaskClient) -> None:
    assert client.get("/untagged").get_data(as_text=True) == UNTAGGED


# --- no-inline mode --------------------------------------------------------------------


def test_no_inline_serves_the_runtime_and_links_it() -> None:
    from tiktok_pixel.resources import static_path

    client = create_app(TIKTOK_PIXEL_INLINE=False).test_client()
    html = client.get("/product/sku-1").get_data(as_text=True)
    assert "TiktokAnalyticsObject" not in html  # no inline JavaScript at all
    [src] = re.findall(r'<script src="([^"]+)" async', html)
    assert re.fullmatch(r"/_tiktok_pixel/tiktok_pixel\.[0-9a-f]{16}\.js", src)
    assert calls(html)[0] == VIEW

    script = client.get(src)
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert script.get_data() == static_path("tiktok_pixel.js").read_bytes()
    assert script.cache_control.public and script.cache_control.immutable
    assert script.cache_control.max_age == 365 * 24 * 3600
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    etag = script.headers["ETag"]
    assert client.get(src, headers={"If-None-Match": etag}).status_code == 304

    plain = client.get("/_tiktok_pixel/tiktok_pixel.js")
    assert plain.get_data() == script.get_data()
    assert plain.cache_control.max_age == 3600 and not plain.cache_control.immutable
    assert client.get("/_tiktok_pixel/tiktok_pixel.0123456789ab.js").status_code == 404


def test_no_inline_runtime_url_follows_the_script_root() -> None:
    client = create_app(TIKTOK_PIXEL_INLINE=False).test_client()
    html = client.get("/product/sku-1", base_url="http://localhost/shop").get_data(True)
    [src] = re.findall(r'<script src="([^"]+)" async', html)
    assert src.startswith("/shop/_tiktok_pixel/tiktok_pixel.")


def test_inline_mode_registers_no_route(client: FlaskClient) -> None:
    assert client.get("/_tiktok_pixel/tiktok_pixel.js").status_code == 404
