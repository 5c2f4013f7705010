"""The offline SDK stand-in (static/tiktok_sdk_standin.js) and the consent banner in Chromium:
nothing is "sent" before ttq.grantConsent(), then everything in order; existing-pixel mode loads
the SDK once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from demo_site import create_app
from tests.browser import csp_violations, read_queues, watch_errors
from tests.conftest import CODE
from tests.demo_site.conftest import Shop, open_shop, serve

pytestmark = pytest.mark.browser

STANDIN_LOG = "() => window.ttq._standin && window.ttq._standin.log.map(e => [e.event, e.status])"


def log(page: Any) -> list[list[str]]:
    page.wait_for_function("() => !!(window.ttq && window.ttq._standin)")
    return page.evaluate(STANDIN_LOG)


def test_nothing_is_sent_before_consent_then_all_in_order(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    page.goto(shop.url + "/p/lamp-desk-brass")
    assert log(page) == [["Pageview", "held"], ["ViewContent", "held"]]
    assert page.evaluate("() => window.ttq._standin.consent") == "held"
    assert page.get_by_role("region", name="Cookie consent").is_visible()
    # the stand-in drained the queue, like events.js, and took over the methods
    assert read_queues(page)["main"] == []
    # An absence check (nothing may be sent while consent is held): no condition to poll for,
    # so give a wrongly sent event time to show up.
    page.wait_for_timeout(300)
    assert [status for _, status in log(page)] == ["held", "held"]

    page.get_by_role("button", name="Accept").click()
    assert log(page) == [["Pageview", "sent"], ["ViewContent", "sent"]]
    assert page.get_by_role("region", name="Cookie consent").is_hidden()
    sent = page.evaluate("() => window.ttq._standin.log")
    assert sent[1]["properties"]["contents"][0]["content_id"] == "lamp-desk-brass"
    assert sent[1]["event_id"] and sent[1]["pixel"] == "CDEM0SH0P0PIXEL00000"

    # the choice is remembered: the next page's events go out as soon as the stand-in runs
    page.get_by_label("Search products").fill("lamp")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=lamp")
    page.wait_for_function(
        "() => window.ttq._standin && window.ttq._standin.log.length === 2"
        " && window.ttq._standin.consent === 'granted'"
    )
    assert log(page) == [["Pageview", "sent"], ["Search", "sent"]]
    # identify data travels with the events after it
    users = page.evaluate("() => window.ttq._standin.log.map(e => Object.keys(e.user))")
    assert users == [[], ["external_id"]]
    assert (
        page.sdk_requests == [f"{shop.url}/_sdk/events.js?sdkid=CDEM0SH0P0PIXEL00000&lib=ttq"] * 2
    )
    assert csp_violations(page) == []
    assert errors == []


def test_declining_drops_the_held_events(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    page.goto(shop.url + "/")
    assert log(page) == [["Pageview", "held"], ["ViewContent", "held"]]
    page.get_by_role("button", name="Decline").click()
    assert log(page) == [["Pageview", "dropped"], ["ViewContent", "dropped"]]
    page.goto(shop.url + "/c/home")
    page.wait_for_function("() => window.ttq._standin && window.ttq._standin.consent === 'revoked'")
    assert [status for _, status in log(page)] == ["dropped", "dropped"]


@pytest.fixture
def existing_real_shop() -> Iterator[Shop]:
    """Existing-pixel mode against TikTok's real events.js URL (intercepted by the test)."""
    yield from serve(
        create_app({"DEMO_EXISTING_PIXEL": True, "DEMO_REAL_SDK": True, "TIKTOK_PIXEL_CODE": CODE})
    )


def test_existing_pixel_mode_loads_events_js_once_and_our_calls_join_it(
    browser: Any, existing_real_shop: Shop
) -> None:
    shop = existing_real_shop
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    page.goto(shop.url + "/p/candle-cedar")
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    page.wait_for_timeout(300)  # an absence check: a second load, if any, would have run by now
    queue = read_queues(page)["main"]
    # the site's base code: holdConsent, page; then ours joins: holdConsent again, our track
    assert [call[0] for call in queue] == ["holdConsent", "page", "holdConsent", "track"]
    assert queue[3][1] == "ViewContent"
    assert queue[3][2]["contents"][0]["content_id"] == "candle-cedar"
    assert page.sdk_requests == [
        f"https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={CODE}&lib=ttq"
    ]
    assert (
        page.evaluate("() => document.querySelectorAll('script[src*=\"events.js\"]').length") == 1
    )
    assert page.evaluate("() => window.__sdkRuns.length") == 1
    assert csp_violations(page) == []
    assert errors == []
