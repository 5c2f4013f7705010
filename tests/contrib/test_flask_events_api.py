"""Flask: ``TIKTOK_PIXEL_EVENTS_API`` mirrors every page's track calls to a local Events API.

The Events API is pytest-httpserver on 127.0.0.1; the pages run through Flask's test client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, redirect, render_template_string

from tests.conftest import CODE
from tests.events_api.fake_api import TOKEN, FakeEventsApi
from tiktok_pixel import sha256_hex
from tiktok_pixel.contrib.flask import TikTokPixel, get_state, pixel
from tiktok_pixel.testing import calls_in

PAGE = "<!doctype html><html><head>{% tiktok_pixel %}</head><body>shop</body></html>"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
VISITOR_IP = "203.0.113.9"
CONSENT_COOKIE = "shop_consent"


def events_api_options(api: FakeEventsApi, **changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "ACCESS_TOKEN": TOKEN,
        "ENDPOINT": api.url,
        "FLUSH_INTERVAL": 0.05,
        "BACKOFF_BASE": 0.01,
        "BACKOFF_MAX": 0.05,
        "TIMEOUT": 2.0,
        "SHUTDOWN_TIMEOUT": 2.0,
    }
    options.update(changes)
    return options


def consent_from_cookie(req: Any) -> bool:
    return bool(req.cookies.get(CONSENT_COOKIE) == "granted")


def shop(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_ENABLED=True)
    app.config.update(config)
    TikTokPixel(app)

    @app.get("/product")
    def product() -> str:
        pixel.identify(email=" Shopper@Example.COM ", phone_number="+44 7700 900123")
        pixel.track("AddToCart", value=19.99, currency="EUR", content_ids=["sku-1"])
        return render_template_string(PAGE)

    @app.post("/cart")
    def add_to_cart() -> Any:
        pixel.track("AddToCart", value=5, currency="EUR", content_ids=["sku-2"])
        return redirect("/cart", 303)

    @app.get("/cart")
    def cart() -> str:
        return render_template_string(PAGE)

    @app.post("/api/cart")
    def api_cart() -> Any:
        pixel.track("AddToCart", value=7, currency="EUR")
        return jsonify(ok=True)

    @app.get("/broken")
    def broken() -> Any:
        pixel.track("PlaceAnOrder", value=99, currency="EUR")
        raise RuntimeError("the order failed")

    return app


@pytest.fixture
def make_app() -> Iterator[Any]:
    """Build shop apps; every mirror is closed afterwards (no sender thread outlives a test)."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = shop(**config)
        made.append(app)
        return app

    yield make
    for app in made:
        mirror = get_state(app).mirror
        if mirror is not None:
            assert mirror.close(timeout=5)


def visit(app: Flask, path: str, *, method: str = "GET", cookies: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    for name, value in (cookies or {}).items():
        client.set_cookie(name, value)
    return client.open(
        path,
        method=method,
        headers={"User-Agent": BROWSER_UA, "Referer": "http://localhost/home"},
        environ_base={"REMOTE_ADDR": VISITOR_IP},
    )


def delivered(app: Flask, api: FakeEventsApi) -> list[dict[str, Any]]:
    mirror = get_state(app).mirror
    assert mirror is not None
    assert mirror.sender.flush(10), "the Events API sender did not finish within 10 s"
    return api.events()


def test_a_tracked_page_sends_the_same_event_id_with_the_request_context(
    make_app: Any, api: FakeEventsApi
) -> None:
    app = make_app(TIKTOK_PIXEL_EVENTS_API=events_api_options(api, TEST_EVENT_CODE="TEST42"))
    response = visit(app, "/product?ttclid=E.C.P.click-1", cookies={"_ttp": "ttp-cookie-7"})
    assert response.status_code == 200

    page = calls_in(response)
    [track] = page.tracks
    [identify] = page.identifies
    [event] = delivered(app, api)
    assert event["event"] == "AddToCart"
    assert event["event_id"] == track.event_id
    assert event["user"] == {
        "email": identify.params["email"],
        "phone": identify.params["phone_number"],
        "ttp": "ttp-cookie-7",
        "ttclid": "E.C.P.click-1",
        "ip": VISITOR_IP,
        "user_agent": BROWSER_UA,
    }
    assert identify.params["email"] == sha256_hex("shopper@example.com")
    assert event["page"] == {
        "url": "http://localhost/product?ttclid=E.C.P.click-1",
        "referrer": "http://localhost/home",
    }
    assert event["properties"] == track.params
    [sent] = api.received
    assert sent.headers["Access-Token"] == TOKEN
    assert sent.body["event_source_id"] == CODE and sent.body["test_event_code"] == "TEST42"
    assert b"shopper" not in sent.raw.lower()


def test_a_redirected_call_is_sent_once(make_app: Any, api: FakeEventsApi) -> None:
    app = make_app(TIKTOK_PIXEL_EVENTS_API=events_api_options(api))
    client = app.test_client()
    client.set_cookie("_ttp", "ttp-cookie-8")
    posted = client.post("/cart?ttclid=from-ad", headers={"User-Agent": BROWSER_UA})
    assert posted.status_code == 303
    after_post = delivered(app, api)
    assert [e["event"] for e in after_post] == ["AddToCart"]
    assert after_post[0]["user"]["ttclid"] == "from-ad"

    cart = client.get("/cart", headers={"User-Agent": BROWSER_UA})
    [track] = calls_in(cart).tracks  # the carried call, rendered on the next page
    assert track.event_id == after_post[0]["event_id"]
    assert [e["event_id"] for e in delivered(app, api)] == [track.event_id]
    assert get_state(app).mirror.stats().sent == 1  # type: ignore[union-attr]


def test_a_json_response_is_mirrored_and_a_5xx_is_not(make_app: Any, api: FakeEventsApi) -> None:
    app = make_app(TIKTOK_PIXEL_EVENTS_API=events_api_options(api))
    assert visit(app, "/api/cart", method="POST").status_code == 200
    assert visit(app, "/broken").status_code == 500
    assert [e["event"] for e in delivered(app, api)] == ["AddToCart"]


def test_consent_hold_without_consent_granted_sends_nothing_and_warns_once(
    make_app: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    app = make_app(TIKTOK_PIXEL_CONSENT="hold", TIKTOK_PIXEL_EVENTS_API=events_api_options(api))
    [startup] = caplog.records
    assert "TIKTOK_PIXEL_CONSENT_GRANTED" in startup.getMessage()
    caplog.clear()
    response = visit(app, "/product", cookies={CONSENT_COOKIE: "granted"})
    assert calls_in(response).events == ["AddToCart"]  # the page still holds it for the pixel
    assert delivered(app, api) == []
    assert get_state(app).mirror.stats().queued == 0  # type: ignore[union-attr]
    assert caplog.records == []


def test_consent_hold_sends_only_for_visitors_who_granted(
    make_app: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    asked: list[Any] = []

    def granted(req: Any) -> bool:
        asked.append(req.path)
        return consent_from_cookie(req)

    app = make_app(
        TIKTOK_PIXEL_CONSENT="hold",
        TIKTOK_PIXEL_CONSENT_GRANTED=granted,
        TIKTOK_PIXEL_EVENTS_API=events_api_options(api),
    )
    assert caplog.records == []  # no start-up warning: consent can be answered
    visit(app, "/product")
    visit(app, "/product", cookies={CONSENT_COOKIE: "declined"})
    assert delivered(app, api) == []
    granted_page = visit(app, "/product", cookies={CONSENT_COOKIE: "granted"})
    [event] = delivered(app, api)
    assert event["event_id"] == calls_in(granted_page).tracks[0].event_id
    visit(app, "/cart")  # tracks nothing: the callable is not even asked
    assert asked == ["/product"] * 3


def test_a_failing_consent_callable_means_no_consent(
    make_app: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(req: Any) -> bool:
        raise KeyError("consent store down")

    app = make_app(
        TIKTOK_PIXEL_CONSENT="hold",
        TIKTOK_PIXEL_CONSENT_GRANTED=broken,
        TIKTOK_PIXEL_EVENTS_API=events_api_options(api),
    )
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    assert visit(app, "/product").status_code == 200
    assert delivered(app, api) == []
    [record] = caplog.records
    assert "CONSENT_GRANTED" in record.getMessage() and "KeyError" in record.getMessage()


def test_disabled_sends_nothing_and_builds_no_mirror(
    make_app: Any, api: FakeEventsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    options = events_api_options(api)
    app = make_app(TIKTOK_PIXEL_ENABLED=False, TIKTOK_PIXEL_EVENTS_API=options)
    assert get_state(app).mirror is None
    assert visit(app, "/product").status_code == 200
    # testing apps are disabled by default; a missing token is fine when nothing is sent
    del options["ACCESS_TOKEN"]
    testing = make_app(TESTING=True, TIKTOK_PIXEL_ENABLED=None, TIKTOK_PIXEL_EVENTS_API=options)
    assert get_state(testing).mirror is None
    visit(testing, "/product")
    assert api.received == []
    assert not [t for t in threading.enumerate() if t.name == "tiktok-pixel-events-api"]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"TIKTOK_PIXEL_EVENTS_API": {"ACCESS_TOKEN": TOKEN, "BATCH": 5}}, "unknown events API"),
        (
            {"TIKTOK_PIXEL_EVENTS_API": {"ACCESS_TOKEN": TOKEN, "BATCH_SIZE": 0}},
            "BATCH_SIZE must be",
        ),
        ({"TIKTOK_PIXEL_EVENTS_API": {}}, "needs an access token"),
        ({"TIKTOK_PIXEL_EVENTS_API": "https://example.test"}, "must be a dict"),
        (
            {"TIKTOK_PIXEL_EVENTS_API": {"ACCESS_TOKEN": TOKEN, "ENDPOINT": "ftp://x"}},
            "TIKTOK_PIXEL_EVENTS_API: ENDPOINT must be an http",
        ),
    ],
)
def test_bad_events_api_settings_fail_init_app_naming_the_key(
    config: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    with pytest.raises(ValueError, match=message) as info:
        shop(**config)
    assert "TIKTOK_PIXEL_EVENTS_API" in str(info.value)
    assert TOKEN not in str(info.value)


def test_bad_settings_fail_even_when_disabled_and_a_non_callable_consent_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    with pytest.raises(ValueError, match=r"TIKTOK_PIXEL_EVENTS_API.*BATCH"):
        shop(TIKTOK_PIXEL_ENABLED=False, TIKTOK_PIXEL_EVENTS_API={"BATCH": 5})
    with pytest.raises(ValueError, match="TIKTOK_PIXEL_CONSENT_GRANTED must be a callable"):
        shop(TIKTOK_PIXEL_CONSENT_GRANTED=True)
    # the pixel's own existing-pixel mode has no code: the Events API needs one
    with pytest.raises(ValueError, match=r"TIKTOK_PIXEL_EVENTS_API.*PIXEL_CODES"):
        shop(
            TIKTOK_PIXEL_CODE=None,
            TIKTOK_PIXEL_USE_EXISTING=True,
            TIKTOK_PIXEL_EVENTS_API={"ACCESS_TOKEN": TOKEN},
        )


def test_the_token_may_come_from_the_environment(
    make_app: Any, api: FakeEventsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_TIKTOK_TOKEN", "token-from-env")
    options = events_api_options(api, ACCESS_TOKEN_ENV="SHOP_TIKTOK_TOKEN")
    del options["ACCESS_TOKEN"]
    app = make_app(TIKTOK_PIXEL_EVENTS_API=options)
    visit(app, "/product")
    assert len(delivered(app, api)) == 1
    assert api.received[0].headers["Access-Token"] == "token-from-env"


def test_a_mirror_failure_leaves_the_page_alone_with_one_warning(
    make_app: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(TIKTOK_PIXEL_EVENTS_API=events_api_options(api))
    mirror = get_state(app).mirror

    def explode(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("mirror broke")

    mirror.mirror = explode  # type: ignore[method-assign, union-attr]
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    response = visit(app, "/product")
    assert response.status_code == 200
    assert calls_in(response).events == ["AddToCart"]
    [record] = caplog.records
    assert "not mirrored (RuntimeError)" in record.getMessage()
    assert "shopper" not in record.getMessage().lower()
    assert api.received == []


def test_one_mirror_per_app_shared_by_concurrent_requests(
    make_app: Any, api: FakeEventsApi
) -> None:
    app = make_app(TIKTOK_PIXEL_EVENTS_API=events_api_options(api))
    ids: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            page = calls_in(visit(app, "/product"))
            with lock:
                ids.append(str(page.tracks[0].event_id))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 80
    assert sorted(e["event_id"] for e in delivered(app, api)) == sorted(ids)
    names = [t.name for t in threading.enumerate() if t.name == "tiktok-pixel-events-api"]
    assert len(names) == 1
