"""The issue's end-to-end check: a demo request that fires AddToCart produces a pixel call and a
server call with the same event_id (the demo with ``DEMO_EVENTS_API`` pointing at a local
pytest-httpserver standing in for TikTok's Events API, driven through Flask's test client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from demo_site import create_app
from demo_site.app import CONSENT_COOKIE, DEMO_EVENTS_API_TOKEN, DEMO_PIXEL_CODE
from tests.events_api.fake_api import FakeEventsApi
from tiktok_pixel.cli import build_parser
from tiktok_pixel.cli.demo import demo_settings
from tiktok_pixel.contrib.flask import get_state
from tiktok_pixel.testing import calls_in

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) DemoShopper/1.0"


@pytest.fixture
def demo(api: FakeEventsApi) -> Iterator[Flask]:
    app = create_app({"DEMO_EVENTS_API": api.url})
    yield app
    mirror = get_state(app).mirror
    assert mirror is not None and mirror.close(timeout=5)


def server_events(app: Flask, api: FakeEventsApi) -> list[dict[str, Any]]:
    mirror = get_state(app).mirror
    assert mirror is not None
    assert mirror.sender.flush(10), "the Events API sender did not finish within 10 s"
    return api.events()


def test_add_to_cart_in_the_demo_reaches_pixel_and_events_api_with_one_event_id(
    demo: Flask, api: FakeEventsApi
) -> None:
    client = demo.test_client()
    client.set_cookie(CONSENT_COOKIE, "granted")  # what the banner's Accept button sets
    client.set_cookie("_ttp", "ttp-demo-visitor")
    landing = client.get("/p/mug-enamel-blue?ttclid=E.C.P.demo", headers={"User-Agent": BROWSER_UA})
    assert landing.status_code == 200
    posted = client.post(
        "/cart?ttclid=E.C.P.demo",
        data={"product_id": "mug-enamel-blue", "quantity": "2"},
        headers={"User-Agent": BROWSER_UA},
    )
    assert posted.status_code == 303
    cart = client.get("/cart", headers={"User-Agent": BROWSER_UA})

    [pixel_call] = [call for call in calls_in(cart).tracks if call.event == "AddToCart"]
    events = server_events(demo, api)
    [server_call] = [event for event in events if event["event"] == "AddToCart"]
    assert server_call["event_id"] == pixel_call.event_id
    # the server event also carries the event's content_type on each item (TikTok's template)
    content_type = pixel_call.params["content_type"]
    assert server_call["properties"]["contents"] == [
        {**item, "content_type": content_type} for item in pixel_call.params["contents"]
    ]
    assert server_call["properties"]["value"] == pixel_call.params["value"] == 29.0
    assert server_call["user"]["ttp"] == "ttp-demo-visitor"
    assert server_call["user"]["ttclid"] == "E.C.P.demo"
    assert server_call["user"]["user_agent"] == BROWSER_UA
    assert server_call["page"]["url"] == "http://localhost/cart?ttclid=E.C.P.demo"
    # the product page's ViewContent went too, once; the cart page sent nothing new
    assert sorted(e["event"] for e in events) == ["AddToCart", "ViewContent"]
    [request] = [r for r in api.received if any(e["event"] == "AddToCart" for e in r.body["data"])]
    assert request.body["event_source_id"] == DEMO_PIXEL_CODE
    assert request.headers["Access-Token"] == DEMO_EVENTS_API_TOKEN


def test_without_the_consent_cookie_the_demo_sends_nothing(demo: Flask, api: FakeEventsApi) -> None:
    client = demo.test_client()
    client.post("/cart", data={"product_id": "mug-enamel-blue"})
    declined = demo.test_client()
    declined.set_cookie(CONSENT_COOKIE, "revoked")
    declined.post("/cart", data={"product_id": "mug-enamel-blue"})
    assert calls_in(client.get("/cart")).events == ["AddToCart"]  # the pixel still holds it
    assert server_events(demo, api) == []


def test_the_switch_from_the_command_line_and_the_environment(api: FakeEventsApi) -> None:
    args = build_parser().parse_args(["demo", "--events-api-endpoint", api.url])
    assert demo_settings(args, {}) == {"DEMO_EVENTS_API": api.url}
    plain = build_parser().parse_args(["demo"])
    from_env = demo_settings(plain, {"TIKTOK_PIXEL_DEMO_EVENTS_API": api.url})
    assert from_env == {"DEMO_EVENTS_API": api.url}
    app = create_app(from_env)
    mirror = get_state(app).mirror
    assert mirror is not None and mirror.api_config.endpoint == api.url
    assert mirror.close(timeout=5)
    assert get_state(create_app(demo_settings(plain, {}))).mirror is None
    with pytest.raises(ValueError, match=r"TIKTOK_PIXEL_EVENTS_API: ENDPOINT must be an http"):
        create_app({"DEMO_EVENTS_API": "not a url"})
