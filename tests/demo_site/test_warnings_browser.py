"""The inspector's "Pixel Helper warnings" in Chromium: the findings the server rendered beside the
pixel (debug mode, on in the demo) are listed with severity, rule, message and the call concerned,
under the shop's strict CSP. Leaves a screenshot in test-artifacts/demo-inspector-warnings.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo_site import create_app
from tests.browser import csp_violations, watch_errors
from tests.demo_site.conftest import Shop, buy, open_shop, serve

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

LISTED = """() => Array.from(document.querySelectorAll('#pixel-inspector li.finding')).map(li => [
  li.dataset.severity, li.dataset.rule,
  li.querySelector('.severity').textContent, li.querySelector('.rule').textContent,
  li.querySelector('.message').textContent, li.querySelector('.concerns').textContent])"""

FLAGGED = """() => Array.from(document.querySelectorAll('#pixel-inspector li.call[data-findings]'))
  .map(li => [li.dataset.event, li.dataset.findings])"""


def section(page: Any) -> Any:
    return page.get_by_role("region", name="Pixel Helper warnings")


def test_the_order_page_lists_the_sunset_warning_of_a_carried_call(
    browser: Any, shop: Shop
) -> None:
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    buy(page, shop, "board-oak", email="Cy@Example.net", phone="+1 415 555 0100")
    page.wait_for_function("() => document.querySelectorAll('#pixel-inspector li.call').length")

    # PlaceAnOrder was tracked by the POST and rendered here from the session
    event_id = page.evaluate(
        "() => window.__pixelInspector.calls.map(c => c.call)"
        ".filter(c => c[0] === 'track')[0][3].event_id"
    )
    assert section(page).is_visible()
    assert page.evaluate(LISTED) == [
        [
            "warning",
            "event-sunset",
            "warning",
            "event-sunset",
            "'PlaceAnOrder' is sunset in 2027",
            f"on ttq.track('PlaceAnOrder') · event_id {event_id}",
        ]
    ]
    assert section(page).locator("h3").text_content() == "Pixel Helper warnings 1"
    assert page.evaluate(FLAGGED) == [["PlaceAnOrder", "1"]]
    assert "cy@example.net" not in page.content().lower()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-inspector-warnings.png"), full_page=False)
    assert csp_violations(page) == []
    assert errors == []


def test_listing_pages_show_the_error_and_clean_pages_say_none(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    page.goto(shop.url + "/c/kitchen")
    page.wait_for_function("() => document.querySelector('#pixel-inspector li.finding')")
    [(severity, rule, *_, message, concerns)] = page.evaluate(LISTED)
    assert (severity, rule) == ("warning", "content-id-missing")
    assert message == "'ViewContent': contents[0] has no content_id"
    assert concerns.startswith("on ttq.track('ViewContent') · event_id demo-")
    assert page.evaluate(FLAGGED) == [["ViewContent", "1"]]

    page.goto(shop.url + "/search?q=lamp")
    page.wait_for_function("() => document.querySelector('#pixel-inspector .findings')")
    assert page.evaluate(LISTED) == []
    assert section(page).locator(".none").inner_text().startswith("None:")
    assert csp_violations(page) == []
    assert errors == []


@pytest.fixture
def quiet_shop() -> Iterator[Shop]:
    yield from serve(create_app({"TIKTOK_PIXEL_DEBUG": False}))


def test_without_debug_mode_there_is_no_warnings_section(browser: Any, quiet_shop: Shop) -> None:
    page = open_shop(browser, quiet_shop)
    page.goto(quiet_shop.url + "/c/kitchen")
    page.wait_for_function("() => document.querySelector('#pixel-inspector li.call')")
    assert page.evaluate("() => window.__pixelInspector.findings()") is None
    assert page.locator("#pixel-inspector .findings").count() == 0
