"""Django: ``TIKTOK_PIXEL["EVENTS_API"]`` mirrors each request's track calls to the Events API.

The Events API is pytest-httpserver on 127.0.0.1; the pages run through Django's test client and
the real middleware.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from pytest_httpserver import HTTPServer

from tests.conftest import CODE
from tests.events_api.fake_api import TOKEN, FakeEventsApi, fake_events_api
from tiktok_pixel import sha256_hex
from tiktok_pixel.contrib.django.conf import get_settings
from tiktok_pixel.contrib.django.site import close_mirror, get_mirror
from tiktok_pixel.testing import calls_in

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
VISITOR_IP = "198.51.100.23"
SENDER_THREAD = "tiktok-pixel-events-api"


def consent_from_cookie(request: Any) -> bool:
    """The site's consent check (referenced by dotted path below)."""
    return bool(request.COOKIES.get("site_consent") == "granted")


@pytest.fixture
def api(events_api_server: HTTPServer) -> Iterator[FakeEventsApi]:
    with fake_events_api(events_api_server) as fake:
        yield fake
    close_mirror(timeout=5)
    assert not sender_threads(), "a sender thread outlived its test"


def sender_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == SENDER_THREAD and t.is_alive()]


def options(api: FakeEventsApi, **changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ACCESS_TOKEN": TOKEN,
        "ENDPOINT": api.url,
        "FLUSH_INTERVAL": 0.05,
        "BACKOFF_BASE": 0.01,
        "BACKOFF_MAX": 0.05,
        "TIMEOUT": 2.0,
        "SHUTDOWN_TIMEOUT": 2.0,
    }
    result.update(changes)
    return result


def browser() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER_UA, REMOTE_ADDR=VISITOR_IP)


def delivered(api: FakeEventsApi) -> list[dict[str, Any]]:
    mirror = get_mirror()
    assert mirror is not None
    assert mirror.sender.flush(10), "the Events API sender did not finish within 10 s"
    return api.events()


def pixel_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]


def test_a_tracked_page_sends_the_same_event_id_with_the_request_context(
    settings: Any, api: FakeEventsApi
) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api)}
    assert pixel_messages() == []
    client = browser()
    client.cookies["_ttp"] = "ttp-django-1"
    response = client.get("/product/SKU-7/?ttclid=E.C.P.dj", HTTP_REFERER="http://testserver/")
    assert response.status_code == 200

    [track] = calls_in(response).tracks
    [event] = delivered(api)
    assert (event["event"], event["event_id"]) == ("ViewContent", track.event_id)
    assert event["user"] == {
        "ttp": "ttp-django-1",
        "ttclid": "E.C.P.dj",
        "ip": VISITOR_IP,
        "user_agent": BROWSER_UA,
    }
    assert event["page"] == {
        "url": "http://testserver/product/SKU-7/?ttclid=E.C.P.dj",
        "referrer": "http://testserver/",
    }
    assert event["properties"] == track.params
    assert api.received[0].body["event_source_id"] == CODE


def test_a_redirect_sends_once_with_the_pixels_hashed_identify_fields(
    settings: Any, api: FakeEventsApi
) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api)}
    client = browser()
    client.cookies["_ttp"] = "ttp-django-2"
    posted = client.post(
        "/cart/add/?ttclid=ad-click", {"email": " Jane.Doe@Example.com ", "sku": "S-9", "user": "7"}
    )
    assert posted.status_code == 302
    [event] = delivered(api)
    assert event["event"] == "AddToCart" and event["user"]["ttclid"] == "ad-click"

    # Another process answers the next page: a fresh mirror that never saw this event_id.
    assert close_mirror(timeout=5)
    page = calls_in(client.get("/thanks/"))
    [track] = page.tracks
    [identify] = page.identifies
    assert track.event_id == event["event_id"]
    assert event["user"]["email"] == identify.params["email"] == sha256_hex("jane.doe@example.com")
    assert event["user"]["external_id"] == identify.params["external_id"]
    assert delivered(api) == [event]
    assert get_mirror().stats().queued == 0  # type: ignore[union-attr]


def test_json_responses_are_mirrored_and_failed_views_are_not(
    settings: Any, api: FakeEventsApi
) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api)}
    client = browser()
    client.get("/plain/?track=boots")
    with pytest.raises(RuntimeError, match="the view failed"):
        client.get("/broken/")
    assert [(e["event"], e["properties"]) for e in delivered(api)] == [
        ("Search", {"query": "boots"})
    ]


def test_consent_hold_needs_consent_granted(
    settings: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "CONSENT": "hold", "EVENTS_API": options(api)}
    [warning] = pixel_messages()
    assert warning.id == "tiktok_pixel.W005" and warning.level == checks.WARNING
    client = browser()
    client.cookies["site_consent"] = "granted"
    assert calls_in(client.get("/product/A/")).events == ["ViewContent"]
    client.get("/product/B/")
    assert delivered(api) == []
    # one start-up warning, logged when the mirror was built
    assert [r.getMessage() for r in caplog.records if "CONSENT_GRANTED" in r.getMessage()] != []
    assert len(caplog.records) == 1

    settings.TIKTOK_PIXEL = {
        **settings.TIKTOK_PIXEL,
        "CONSENT_GRANTED": f"{__name__}.consent_from_cookie",
    }
    assert pixel_messages() == []
    assert get_settings().consent_granted is consent_from_cookie
    declined = browser()
    declined.cookies["site_consent"] = "declined"
    declined.get("/product/C/")
    browser().get("/product/D/")
    assert delivered(api) == []
    page = client.get("/product/E/")
    [event] = delivered(api)
    assert event["event_id"] == calls_in(page).tracks[0].event_id


def test_disabled_builds_no_mirror_and_sends_nothing(
    settings: Any, api: FakeEventsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    no_token = {key: value for key, value in options(api).items() if key != "ACCESS_TOKEN"}
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "ENABLED": False, "EVENTS_API": no_token}
    assert pixel_messages() == []
    assert browser().get("/product/A/").status_code == 200
    assert get_mirror() is None
    assert api.received == [] and not sender_threads()


@pytest.mark.parametrize(
    ("events_api", "needle"),
    [
        ({"ACCESS_TOKEN": TOKEN, "BATCH": 5}, "unknown events API option(s)"),
        ({"ACCESS_TOKEN": TOKEN, "MAX_RETRIES": -1}, "MAX_RETRIES must be"),
        ({"ENDPOINT": "http://127.0.0.1:9/"}, "needs an access token"),
        ("https://business-api.tiktok.com", "must be a dict of options"),
    ],
)
def test_a_bad_events_api_setting_is_e009(
    settings: Any, monkeypatch: pytest.MonkeyPatch, events_api: Any, needle: str
) -> None:
    monkeypatch.delenv("TIKTOK_ACCESS_TOKEN", raising=False)
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": events_api}
    [message] = pixel_messages()
    assert message.id == "tiktok_pixel.E009" and message.level == checks.ERROR
    assert needle in message.msg and "settings.TIKTOK_PIXEL['EVENTS_API']" in message.msg
    assert TOKEN not in message.msg
    assert "TIKTOK_ACCESS_TOKEN" in message.hint
    with pytest.raises(ImproperlyConfigured, match=r"tiktok_pixel\.E009"):
        browser().get("/product/A/")


def test_events_api_needs_a_pixel_code_with_use_existing(settings: Any) -> None:
    settings.TIKTOK_PIXEL = {"USE_EXISTING": True, "EVENTS_API": {"ACCESS_TOKEN": TOKEN}}
    [message] = pixel_messages()
    assert message.id == "tiktok_pixel.E009" and "PIXEL_CODES" in message.hint
    settings.TIKTOK_PIXEL = {
        "USE_EXISTING": True,
        "EVENTS_API": {"ACCESS_TOKEN": TOKEN, "PIXEL_CODES": [CODE]},
    }
    assert pixel_messages() == []


@pytest.mark.parametrize(
    ("value", "needle"),
    [(True, "must be a callable"), ("tests.nowhere.consent", "cannot be imported")],
)
def test_a_bad_consent_granted_is_e010(settings: Any, value: Any, needle: str) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "CONSENT_GRANTED": value}
    [message] = pixel_messages()
    assert message.id == "tiktok_pixel.E010" and needle in message.msg


def test_the_mirror_lives_as_long_as_the_setting(settings: Any, api: FakeEventsApi) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api)}
    browser().get("/product/A/")
    first = get_mirror()
    assert first is not None and first is get_mirror()
    assert len(delivered(api)) == 1 and len(sender_threads()) == 1

    settings.DEBUG = True  # another setting: same mirror, same thread
    assert get_mirror() is first

    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api, BATCH_SIZE=10)}
    assert not sender_threads(), "the old mirror's thread must stop when the setting changes"
    assert first.stats().sent == 1
    browser().get("/product/B/")
    second = get_mirror()
    assert second is not None and second is not first and second.api_config.batch_size == 10
    assert len(delivered(api)) == 2 and len(sender_threads()) == 1


def test_a_mirror_failure_leaves_the_page_alone_with_one_warning(
    settings: Any, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "EVENTS_API": options(api)}
    mirror = get_mirror()
    assert mirror is not None

    def explode(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("mirror broke")

    mirror.mirror = explode  # type: ignore[method-assign]
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    response = browser().get("/product/A/")
    assert response.status_code == 200
    assert calls_in(response).events == ["ViewContent"]
    [record] = caplog.records
    assert "not mirrored (RuntimeError)" in record.getMessage()
    assert api.received == []
