"""Debug mode's findings block: the validator's findings for exactly the calls a fragment renders,
as a JSON data block beside it (no PII, CSP nonce, escaped), and nothing at all without debug."""

from __future__ import annotations

import json
import logging
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.conftest import CODE, CODE2
from tiktok_pixel import Call, PageEvents, PixelConfig, render_calls, render_findings
from tiktok_pixel import validation as validation_module
from tiktok_pixel.fragment import FINDINGS_ATTRIBUTE, InvalidNonce
from tiktok_pixel.testing import calls_in
from tiktok_pixel.validation import check_page

HOSTILE = "</script><script>window.__xss=1</script><!--"


class _Scripts(HTMLParser):
    """Every script element of a page: (attributes, text), as a browser's tokenizer splits them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open, "".join(self._text)))
            self._open = None


def scripts(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def findings_blocks(html: str) -> list[tuple[dict[str, str | None], list[dict[str, Any]]]]:
    return [
        (attrs, json.loads(text))
        for attrs, text in scripts(html)
        if FINDINGS_ATTRIBUTE in attrs and attrs.get("type") == "application/json"
    ]


def troubled_page(config: PixelConfig) -> PageEvents:
    page = PageEvents(config)
    page.identify(email="ann@example.com")  # hashed: no finding
    page.track("PlaceAnOrder", value=40, currency="EUR", event_id="order-1")  # sunset
    page.track("CompletePayment", value=3, event_id="paid-1")  # currency-missing, renamed
    page.track("AddToCart", value=1, currency="EUR", event_id="cart-1")  # clean
    return page


MODES = {
    "inline": {},
    "no-inline": {"inline": False, "runtime_url": "/static/tiktok_pixel.js"},
    "several pixels": {"pixel_codes": [CODE, CODE2]},
    "existing pixel": {"use_existing_pixel": True},
    "consent hold": {"consent": "hold"},
}


def config(debug: bool, **settings: Any) -> PixelConfig:
    return PixelConfig(**{"pixel_codes": CODE, "debug": debug, **settings})


def test_without_debug_there_is_no_block_and_nothing_is_validated(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(*args: Any) -> None:
        raise AssertionError("validated outside debug mode")

    monkeypatch.setattr(validation_module, "validate_calls", fail)
    page = troubled_page(config(False))
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        html = str(page.render(nonce="n0nce"))
        assert render_findings(page.config, page.calls) == ""
    assert FINDINGS_ATTRIBUTE not in html
    assert html == render_calls(page.config, page.calls, nonce="n0nce")
    assert caplog.records == []


@pytest.mark.parametrize("mode", MODES.values(), ids=list(MODES))
def test_debug_adds_one_block_listing_each_finding(mode: dict[str, Any]) -> None:
    page = troubled_page(config(True, **mode))
    html = str(page.render(nonce="n0nce+/="))
    assert html.startswith(str(render_calls(page.config, page.calls, nonce="n0nce+/=")))
    [(attrs, entries)] = findings_blocks(html)
    assert attrs == {"type": "application/json", FINDINGS_ATTRIBUTE: None, "nonce": "n0nce+/="}
    assert [(e["rule"], e["severity"], e["event"], e["event_id"]) for e in entries] == [
        ("event-sunset", "warning", "PlaceAnOrder", "order-1"),
        ("currency-missing", "error", "CompletePayment", "paid-1"),
        ("event-renamed", "warning", "CompletePayment", "paid-1"),
    ]
    assert entries[0] == {
        "rule": "event-sunset",
        "severity": "warning",
        "message": "'PlaceAnOrder' is sunset in 2027",
        "explanation": "ClickButton and PlaceAnOrder are soft-deprecated since 2025 and sunset "
        "in 2027",
        "method": "track",
        "event": "PlaceAnOrder",
        "event_id": "order-1",
    }


def test_the_block_carries_no_params_and_no_identify_values() -> None:
    page = PageEvents(config(True))
    page.add(Call("identify", None, {"email": "ann@example.com", "phone_number": "+447700900123"}))
    page.track("CompletePayment", value=3, contents=[{"content_id": "sku-secret-ish"}])
    html = str(page.render())
    [(_, entries)] = findings_blocks(html)
    assert [(e["rule"], e["method"], e["event"]) for e in entries] == [
        ("identify-unhashed", "identify", None),
        ("identify-unhashed", "identify", None),
        ("currency-missing", "track", "CompletePayment"),
        ("event-renamed", "track", "CompletePayment"),
    ]
    block = html[html.index(FINDINGS_ATTRIBUTE) :]
    for text in ("ann@example.com", "+447700900123", "sku-secret-ish"):
        assert text not in block
    assert all(set(entry) == set(entries[0]) for entry in entries)


def test_identical_identifies_are_checked_once_as_the_page_renders_them() -> None:
    page = PageEvents(config(True))
    for _ in range(3):
        page.add(Call("identify", None, {}))
    [(_, entries)] = findings_blocks(str(page.render()))
    assert [e["rule"] for e in entries] == ["identify-empty"]


def test_a_clean_page_has_an_empty_block_and_an_empty_page_none() -> None:
    page = PageEvents(config(True))
    page.track("AddToCart", value=1, currency="EUR")
    assert [entries for _, entries in findings_blocks(str(page.render()))] == [[]]
    # existing-pixel mode with no calls renders nothing at all, so no block either
    assert str(PageEvents(config(True, use_existing_pixel=True)).render()) == ""


def test_hostile_event_names_stay_inside_the_block() -> None:
    page = PageEvents(config(True, inline=False, runtime_url="/rt.js"))
    page.track(HOSTILE, value=2)  # currency-missing, message and event name hold the text
    page.add(Call("track", "Purchase", {"value": 1, "currency": "EUR"}, 7))  # non-string id
    html = str(page.render(nonce="abc"))
    assert "</script><script>" not in html and "<!--" not in html
    # exactly the three script elements rendered, none opened by the names
    assert [sorted(attrs) for attrs, _ in scripts(html)] == [
        ["data-tiktok-pixel", "nonce", "type"],
        ["async", "nonce", "src"],
        [FINDINGS_ATTRIBUTE, "nonce", "type"],
    ]
    [(_, entries)] = findings_blocks(html)
    assert entries[0]["event"] == HOSTILE
    assert entries[0]["message"] == f"{HOSTILE!r}: value is set but currency is missing"
    assert [(e["rule"], e["event"], e["event_id"]) for e in entries[1:]] == [
        ("event-id-not-string", "Purchase", None),
    ]


def test_an_invalid_nonce_is_refused_for_the_block_too() -> None:
    with pytest.raises(InvalidNonce):
        render_findings(config(True), [], nonce='"><script>')


def test_debug_logs_one_warning_per_finding_without_pii(caplog: pytest.LogCaptureFixture) -> None:
    page = troubled_page(config(True))
    page.add(Call("identify", None, {"email": "bo@example.org"}))
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        html = str(page.render())
    [(_, entries)] = findings_blocks(html)
    records = [r for r in caplog.records if r.name.startswith("tiktok_pixel")]
    assert [r.levelno for r in records] == [logging.WARNING] * len(entries) == [30] * 4
    assert [r.getMessage() for r in records] == [
        f"TikTok pixel check: {e['severity']} [{e['rule']}] {e['message']}" for e in entries
    ]
    # add() bypasses hashing, so the fragment holds the raw value; the log and block do not
    assert "bo@example.org" not in caplog.text
    assert "bo@example.org" not in html[html.index(FINDINGS_ATTRIBUTE) :]


@pytest.mark.parametrize("mode", MODES.values(), ids=list(MODES))
def test_calls_in_and_check_page_ignore_the_block(mode: dict[str, Any]) -> None:
    debug, plain = troubled_page(config(True, **mode)), PageEvents(config(False, **mode))
    plain.extend(debug.calls)
    plain.track(HOSTILE, value=1, event_id="h-1")
    debug.track(HOSTILE, value=1, event_id="h-1")

    def page_of(events: PageEvents) -> str:
        return f"<html><head>{events.render(nonce='n')}</head><body></body></html>"

    with_block, without = page_of(debug), page_of(plain)
    assert FINDINGS_ATTRIBUTE in with_block and FINDINGS_ATTRIBUTE not in without
    assert calls_in(with_block) == calls_in(without)
    assert calls_in(with_block)  # not vacuous: the page has calls
    checked, reference = check_page(with_block), check_page(without)
    assert checked.calls == reference.calls
    assert [str(f) for f in checked.findings] == [str(f) for f in reference.findings]
    assert not any(f.id == "fragment-unreadable" for f in checked.findings)


def test_a_block_that_looks_like_a_payload_is_still_ignored() -> None:
    # the block's attribute starts like the fragment's: only the exact attribute is a fragment
    page = f'<head><script type="application/json" {FINDINGS_ATTRIBUTE}>{{"pixels":["{CODE}"],'
    page += '"calls":[["track","Lead",{}]]}</script></head>'
    assert calls_in(page) == []
    assert [f.id for f in check_page(page).findings] == ["pixel-missing"]


def test_render_findings_checks_the_calls_it_is_given() -> None:
    calls = [
        Call("track", "SubmitForm", {}, "a"),
        Call("track", "Purchase", {"value": 1, "currency": "eur"}, "b"),
    ]
    block = str(render_findings(config(True), calls, nonce="n"))
    assert re.fullmatch(
        rf'<script type="application/json" {FINDINGS_ATTRIBUTE} nonce="n">\[.*\]</script>', block
    )
    [(_, entries)] = findings_blocks(block)
    assert [(e["rule"], e["event_id"]) for e in entries] == [
        ("event-renamed", "a"),
        ("currency-unsupported", "b"),
    ]
