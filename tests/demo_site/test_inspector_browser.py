"""The pixel inspector in Chromium: it lists what the page really pushed onto ttq (read live,
before the SDK stand-in drains the queue), with identify fields marked as hashed on the server.
Leaves a screenshot in test-artifacts/demo-inspector.png."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser import csp_violations, watch_errors
from tests.demo_site.conftest import Shop, buy, open_shop

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

INSPECTED = """() => Array.from(document.querySelectorAll('#pixel-inspector li.call')).map(li => [
  li.dataset.method, li.dataset.event || null,
  li.querySelector('.status') ? li.querySelector('.status').textContent : null])"""


def test_inspector_lists_the_live_calls_with_hashed_identify(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    errors = watch_errors(page)
    buy(page, shop, "mug-stoneware-sand", email="Bo@Example.org", phone="+1 415 555 0199")
    # consent.js (deferred) replays the visitor's grant: queued, or called on the SDK's rebound
    # ttq when the stand-in loaded first; the inspector lists it either way
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('#pixel-inspector .status.sent').length === 2"
            " && document.querySelector('#pixel-inspector li.call[data-method=grantConsent]')",
            timeout=20_000,
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"the inspector never showed the settled calls: {page.evaluate(INSPECTED)}")
    panel = page.locator("#pixel-inspector")
    assert panel.is_visible()
    assert page.evaluate(INSPECTED) == [
        ["holdConsent", None, None],
        ["page", None, "sent"],
        ["identify", None, None],
        ["track", "PlaceAnOrder", "sent"],
        ["grantConsent", None, None],
    ]
    # the inspector saw the calls the stand-in then drained: same event id on both sides
    recorded = page.evaluate("() => window.__pixelInspector.calls.map(c => c.call)")
    sent = page.evaluate("() => window.ttq._standin.log")
    assert recorded[3][3]["event_id"] == sent[1]["event_id"]
    assert sent[1]["user"]["email"] == hashlib.sha256(b"bo@example.org").hexdigest()
    identify = panel.locator("li[data-method=identify]")
    text = identify.inner_text()
    assert "hashed on the server" in text
    assert hashlib.sha256(b"+14155550199").hexdigest() in text
    assert text.count("✓ sha-256") == 3  # email, phone_number, external_id
    assert "Bo@Example.org" not in page.content() and "bo@example.org" not in page.content()
    assert panel.locator("[data-consent]").inner_text() == "consent: granted"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-inspector.png"), full_page=False)

    # the toggle hides it, and the choice survives a reload
    page.get_by_role("button", name="Pixel inspector").click()
    assert panel.is_hidden()
    page.reload()
    assert page.locator("#pixel-inspector").is_hidden()
    assert page.get_by_role("button", name="Pixel inspector").get_attribute("aria-pressed") == (
        "false"
    )
    assert csp_violations(page) == []
    assert errors == []


def test_inspector_lists_calls_made_after_the_sdk_loaded(browser: Any, shop: Shop) -> None:
    """Once the SDK stand-in has drained the queue and rebound ttq's methods, a call pushes
    nothing; the inspector still lists it, once. (No consent given yet: the event is held.)"""
    page = open_shop(browser, shop)
    page.goto(shop.url + "/")
    page.wait_for_function("() => window.ttq && window.ttq._standin && window.__pixelInspector")
    before = page.evaluate(INSPECTED)
    page.evaluate("() => window.ttq.track('Contact', {content_id: 'help-desk'}, {event_id: 'e-1'})")
    page.wait_for_function(
        "() => document.querySelector('#pixel-inspector li.call[data-event=Contact] .status')"
    )
    assert page.evaluate(INSPECTED) == [*before, ["track", "Contact", "held"]]
    recorded = page.evaluate("() => window.__pixelInspector.calls.map(c => c.call)")
    assert recorded[-1] == ["track", "Contact", {"content_id": "help-desk"}, {"event_id": "e-1"}]
    # accepting the banner now grants on the rebound ttq (as consent.js's replay does when the
    # SDK loaded first): listed too, and the held event goes out
    page.locator("#consent-accept").click()
    page.wait_for_function(
        "() => document.querySelector('#pixel-inspector li.call[data-event=Contact] .status.sent')"
    )
    after = page.evaluate(INSPECTED)
    assert [row[:2] for row in after[: len(before)]] == [row[:2] for row in before]
    assert after[len(before) :] == [["track", "Contact", "sent"], ["grantConsent", None, None]]


def test_inspector_shows_hostile_product_text_as_text(browser: Any, shop: Shop) -> None:
    page = open_shop(browser, shop)
    payload = '<img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>'
    page.goto(shop.url + "/search?q=" + payload.replace("#", "%23").replace("&", "%26"))
    page.wait_for_function("() => document.querySelector('#pixel-inspector li[data-event=Search]')")
    text = page.locator("#pixel-inspector li[data-event=Search]").inner_text()
    assert json.dumps(payload) in text  # the params are shown as JSON, quotes escaped
    assert page.evaluate("() => window.__xss") is None
