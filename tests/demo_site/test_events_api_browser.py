"""The demo in Chromium with Events API mirroring: the consent banner's cookie is what lets the
server send, and the AddToCart the SDK stand-in sends carries the server's event_id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from demo_site import create_app
from demo_site.app import CONSENT_COOKIE
from tests.browser import csp_violations, watch_errors
from tests.demo_site.conftest import Shop, open_shop, serve
from tests.events_api.fake_api import FakeEventsApi, fake_events_api
from tiktok_pixel.contrib.flask import get_state

pytestmark = pytest.mark.browser


@pytest.fixture
def mirrored_shop(events_api_server: HTTPServer) -> Iterator[tuple[Shop, FakeEventsApi]]:
    with fake_events_api(events_api_server) as api:
        app = create_app({"DEMO_EVENTS_API": api.url})
        for shop in serve(app):
            yield shop, api
        mirror = get_state(app).mirror
        assert mirror is not None and mirror.close(timeout=5)


def server_events(shop: Shop, api: FakeEventsApi, count: int) -> list[dict[str, Any]]:
    """The events the stand-in Events API received, waiting (bounded) for ``count`` of them."""
    mirror = get_state(shop.app).mirror
    assert mirror is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mirror.sender.flush(1)
        if len(api.events()) >= count:
            break
    return api.events()


def test_accepting_consent_lets_the_server_mirror_with_the_pixels_event_id(
    browser: Any, mirrored_shop: tuple[Shop, FakeEventsApi]
) -> None:
    shop, api = mirrored_shop
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    page.goto(shop.url + "/p/lamp-desk-brass")
    page.wait_for_function("() => !!(window.ttq && window.ttq._standin)")
    assert server_events(shop, api, 0) == []  # no consent yet: the server holds too

    page.get_by_role("button", name="Accept").click()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies[CONSENT_COOKIE] == "granted"

    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart")
    page.wait_for_function(
        "() => window.ttq._standin && window.ttq._standin.log.some("
        "e => e.event === 'AddToCart' && e.status === 'sent')"
    )
    sent = page.evaluate("() => window.ttq._standin.log.filter(e => e.event === 'AddToCart')")
    [pixel_event] = sent
    [server_event] = [e for e in server_events(shop, api, 1) if e["event"] == "AddToCart"]
    assert server_event["event_id"] == pixel_event["event_id"]
    assert server_event["user"]["user_agent"] == page.evaluate("() => navigator.userAgent")
    assert server_event["user"]["ip"] == "127.0.0.1"
    assert csp_violations(page) == []
    assert errors == []
    page.context.close()
