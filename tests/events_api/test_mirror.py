from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request

from tests.conftest import CODE, CODE2
from tests.events_api.conftest import fast_config
from tests.events_api.fake_api import TOKEN, FakeEventsApi
from tests.payload import payloads
from tiktok_pixel import PageEvents, PixelConfig, sha256_hex
from tiktok_pixel.events_api import BackgroundSender, EventsApiConfig, EventsApiMirror

ENVIRON = {
    "wsgi.url_scheme": "https",
    "HTTP_HOST": "shop.example",
    "PATH_INFO": "/cart",
    "QUERY_STRING": "ttclid=E.C.P.xyz",
    "REMOTE_ADDR": "198.51.100.4",
    "HTTP_USER_AGENT": "Mozilla/5.0 test",
    "HTTP_COOKIE": "_ttp=ttp-123",
}


@pytest.fixture
def mirrors(api: FakeEventsApi) -> Iterator[Any]:
    made: list[EventsApiMirror] = []

    def make(pixel: PixelConfig, **changes: Any) -> EventsApiMirror:
        mirror = EventsApiMirror(pixel, fast_config(api, **changes))
        made.append(mirror)
        return mirror

    yield make
    for mirror in made:
        mirror.close(timeout=2)


def test_each_track_goes_to_the_api_with_the_pixels_event_id(
    api: FakeEventsApi, mirrors: Any
) -> None:
    pixel = PixelConfig(pixel_codes=CODE, default_phone_region="US")
    page = PageEvents(pixel)
    page.identify(email="Shopper@Example.com", phone_number="(201) 555-0123")
    page.track("AddToCart", value=19.99, currency="USD", content_ids=["sku-1"])
    page.track("InitiateCheckout")
    mirror = mirrors(pixel, test_event_code="TEST9")
    assert mirror.mirror(page, ENVIRON, event_time=1_700_000_000) == 2
    assert mirror.flush(timeout=10)

    rendered = payloads(str(page.render()))[0]["calls"]
    pixel_ids = [(c[1], c[3]["event_id"]) for c in rendered if c[0] == "track"]
    [req] = api.received
    assert req.body["event_source"] == "web" and req.body["event_source_id"] == CODE
    assert req.body["test_event_code"] == "TEST9"
    assert [(e["event"], e["event_id"]) for e in req.body["data"]] == pixel_ids
    first = req.body["data"][0]
    assert first == {
        "event": "AddToCart",
        "event_time": 1_700_000_000,
        "event_id": pixel_ids[0][1],
        "user": {
            "email": sha256_hex("shopper@example.com"),
            "phone": sha256_hex("+12015550123"),
            "ttp": "ttp-123",
            "ttclid": "E.C.P.xyz",
            "ip": "198.51.100.4",
            "user_agent": "Mozilla/5.0 test",
        },
        "properties": {"value": 19.99, "currency": "USD", "content_ids": ["sku-1"]},
        "page": {"url": "https://shop.example/cart?ttclid=E.C.P.xyz"},
    }
    # no raw PII anywhere in what left the process (the digits are matched whole:
    # random event ids and hashes may contain any short run such as "555")
    raw = req.raw.lower()
    for clear in (b"shopper", b"example.com", b"2015550123", b"555-0123", b"(201)"):
        assert clear not in raw


def test_every_pixel_gets_its_own_request_and_ldu_follows_the_pixel(
    api: FakeEventsApi, mirrors: Any
) -> None:
    pixel = PixelConfig(pixel_codes=[CODE, CODE2], limited_data_use=True)
    page = PageEvents(pixel)
    event_id = page.track("Purchase", value=5, currency="EUR")
    mirror = mirrors(pixel)
    assert mirror.mirror(page) == 2
    assert mirror.flush(timeout=10)
    sources = sorted(r.body["event_source_id"] for r in api.received)
    assert sources == sorted([CODE, CODE2])
    for r in api.received:
        [item] = r.body["data"]
        assert item["event_id"] == event_id and item["limited_data_use"] is True
    # the events API option overrides the pixel's
    assert mirrors(pixel, limited_data_use=False).limited_data_use is False


def test_held_consent_sends_nothing_until_granted(api: FakeEventsApi, mirrors: Any) -> None:
    pixel = PixelConfig(pixel_codes=CODE, consent="hold")
    page = PageEvents(pixel)
    page.track("ViewContent")
    mirror = mirrors(pixel)
    assert mirror.mirror(page, ENVIRON) == 0
    assert mirror.mirror(page, ENVIRON, consent_granted=False) == 0
    assert mirror.mirror(page, ENVIRON, consent_granted=True) == 1
    assert mirror.flush(timeout=10)
    assert len(api.event_ids()) == 1


def test_a_call_carried_to_the_next_page_is_sent_once(api: FakeEventsApi, mirrors: Any) -> None:
    pixel = PixelConfig(pixel_codes=CODE)
    first = PageEvents(pixel)
    first.track("CompleteRegistration")
    second = PageEvents(pixel, first.calls)  # e.g. carried across a redirect
    second.track("ViewContent")
    mirror = mirrors(pixel)
    assert mirror.mirror(first) == 1
    assert mirror.mirror(second) == 1
    assert mirror.flush(timeout=10)
    assert sorted(api.event_ids()) == sorted(c.event_id for c in second.calls)


def test_pages_without_tracks_and_pixel_codes_for_an_existing_pixel(
    api: FakeEventsApi, mirrors: Any
) -> None:
    existing = PixelConfig(use_existing_pixel=True)
    with pytest.raises(ValueError, match="set the events API option PIXEL_CODES"):
        EventsApiMirror(existing, fast_config(api))
    mirror = mirrors(existing, pixel_codes=CODE)
    page = PageEvents(existing)
    page.identify(email="a@b.co")
    assert mirror.mirror(page) == 0
    page.track("Lead")
    assert mirror.mirror(page) == 1
    assert mirror.flush(timeout=10)
    assert api.received[0].body["event_source_id"] == CODE


def test_mirroring_never_raises(caplog: pytest.LogCaptureFixture, api: FakeEventsApi) -> None:
    class Broken(BackgroundSender):
        def enqueue(self, pixel_code: str, event: dict[str, Any]) -> bool:
            raise RuntimeError("boom a@b.co")

    pixel = PixelConfig(pixel_codes=CODE)
    config = fast_config(api)
    mirror = EventsApiMirror(pixel, config, sender=Broken.from_config(config))
    page = PageEvents(pixel)
    page.track("Lead")
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        assert mirror.mirror(page, ENVIRON) == 0
    assert "could not mirror the page's events (RuntimeError)" in caplog.text
    assert "a@b.co" not in caplog.text
    mirror.close(timeout=1)


def test_mirror_from_an_option_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    pixel = PixelConfig(pixel_codes=CODE)
    options = {"BATCH_SIZE": 10, "PROXY_HOPS": 1}
    mirror = EventsApiMirror(pixel, EventsApiConfig.from_mapping(options))
    assert mirror.sender.batch_size == 10 and mirror.pixel_codes == (CODE,)
    info = mirror.request_info({**ENVIRON, "HTTP_X_FORWARDED_FOR": "192.0.2.1"})
    assert info.ip == "192.0.2.1"
    assert repr(mirror) == f"<EventsApiMirror {CODE} via thread>"
    mirror.close(0)
    with pytest.raises(ValueError, match=re.escape("settings.TIKTOK_PIXEL['EVENTS_API']: ")):
        EventsApiConfig.from_mapping(
            {"BATCH_SIZE": 0}, source="settings.TIKTOK_PIXEL['EVENTS_API']"
        )


def test_end_to_end_a_request_firing_add_to_cart(api: FakeEventsApi) -> None:
    """A web request that fires AddToCart: one pixel call on the page, one server call, same id."""
    pixel = PixelConfig(pixel_codes=CODE)
    mirror = EventsApiMirror(pixel, EventsApiConfig(access_token=TOKEN, endpoint=api.url))
    app = Flask(__name__)

    @app.route("/add-to-cart")
    def add_to_cart() -> str:
        page = PageEvents(pixel)
        page.identify(external_id="customer-7")
        page.track("AddToCart", value=12, currency="GBP")
        mirror.mirror(page, request.environ)
        return f"<html><head>{page.render()}</head><body>added</body></html>"

    client = app.test_client()
    client.set_cookie("_ttp", "ttp-e2e")
    response = client.get(
        "/add-to-cart?ttclid=E.C.P.e2e",
        headers={"User-Agent": "E2E/1"},
        environ_base={"REMOTE_ADDR": "192.0.2.55"},
    )
    assert response.status_code == 200
    assert mirror.close(timeout=10)
    calls = payloads(response.get_data(as_text=True))[0]["calls"]
    [track] = [c for c in calls if c[0] == "track"]
    [server] = api.events()
    assert (server["event"], server["event_id"]) == (track[1], track[3]["event_id"])
    assert server["user"] == {
        "external_id": sha256_hex("customer-7"),
        "ttp": "ttp-e2e",
        "ttclid": "E.C.P.e2e",
        "ip": "192.0.2.55",
        "user_agent": "E2E/1",
    }
    assert server["page"] == {"url": "http://localhost/add-to-cart?ttclid=E.C.P.e2e"}
