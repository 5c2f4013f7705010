"""The privacy guard against its corpus: no raw PII anywhere a value leaves, no false positives.

Places checked: the HTML (inline and no-inline), logs at DEBUG (debug mode on), the carry cookie
after a redirect, the Events API body (local stand-in; page.url and page.referrer
included) and ``check`` output (text and JSON) with the debug findings block. See
``tests/pii_corpus.py`` for the shapes and their markers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, redirect, render_template_string

from tests.browser import html_page
from tests.carry_forge import COOKIE_NAME, read
from tests.conftest import CODE
from tests.events_api.conftest import fast_config
from tests.events_api.fake_api import FakeEventsApi
from tests.pii_corpus import REGION, Case, ordinary_values, pii_cases
from tiktok_pixel import Call, PageEvents, PixelConfig, render_calls, render_findings
from tiktok_pixel.cli import main
from tiktok_pixel.contrib.flask import TikTokPixel, pixel
from tiktok_pixel.events_api import EventsApiMirror
from tiktok_pixel.testing import calls_in
from tiktok_pixel.validation import validate_call

CASES = pii_cases()
ORDINARY = ordinary_values()
URL_CASES = [case for case in CASES if case.label.split(" ", 2)[1] == "url"]


def leaks(text: str, cases: list[Case] = CASES) -> list[str]:
    """The labels of the cases whose markers appear in ``text`` (case-insensitive)."""
    lowered = text.lower()
    return [case.label for case in cases if any(m.lower() in lowered for m in case.markers)]


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 200
    assert len(ORDINARY) >= 200 and len(set(ORDINARY)) == len(ORDINARY)
    assert all(case.markers for case in CASES)
    # and the markers are really in the raw params, so "not found" means "removed"
    assert leaks(json.dumps([case.params for case in CASES], ensure_ascii=False)) == [
        case.label for case in CASES
    ]


def track_all(page: PageEvents, cases: list[Case] = CASES) -> None:
    for index, case in enumerate(cases):
        assert page.track("Lead", event_id=f"evt-{index}", **case.params) is not None


@pytest.mark.parametrize("policy", ["hash", "drop"])
@pytest.mark.parametrize("inline", [True, False])
def test_html_and_debug_logs_hold_no_raw_value(
    inline: bool, policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = PixelConfig(
        pixel_codes=CODE,
        default_phone_region=REGION,
        inline=inline,
        runtime_url="/t.js",
        pii_policy=policy,  # type: ignore[arg-type]
        debug=True,
    )
    page = PageEvents(config)
    with caplog.at_level(logging.DEBUG):
        track_all(page)
        html = str(page.render())
    assert leaks(html) == []
    assert leaks(caplog.text) == []
    tracks = calls_in(html).tracks
    assert len(tracks) == len(CASES)  # every call still goes out, without the data
    # each case was reported, by path, in one warning naming the event
    warnings = [r.getMessage() for r in caplog.records if "personal data in" in r.getMessage()]
    assert len(warnings) == len(CASES)
    assert all(message.startswith("TikTok event 'Lead'") for message in warnings)
    # nothing the guard produced trips the validator's own rule
    assert not [f for call in tracks for f in validate_call(call) if f.id == "pii-in-params"]


def test_raise_policy_raises_for_every_case_without_the_value() -> None:
    page = PageEvents(
        PixelConfig(pixel_codes=CODE, default_phone_region=REGION, pii_policy="raise")
    )
    for case in CASES:
        with pytest.raises(ValueError) as info:
            page.track("Lead", **case.params)
        assert leaks(str(info.value), [case]) == [], case.label
    assert page.calls == ()


@pytest.fixture
def shop() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test-secret",
        TIKTOK_PIXEL_CODE=CODE,
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_DEFAULT_PHONE_REGION=REGION,
    )
    TikTokPixel(app)
    chunk = 8  # a carry holds at most 20 calls in at most 4 KB

    @app.post("/lead/<int:start>")
    def lead(start: int) -> Any:
        for index, case in enumerate(CASES[start : start + chunk], start):
            pixel.track("Lead", event_id=f"evt-{index}", **case.params)
        return redirect("/thanks", 303)

    @app.get("/thanks")
    def thanks() -> str:
        return render_template_string(html_page("{% tiktok_pixel %}"))

    app.config["CHUNK"] = chunk
    return app


def test_carry_cookie_after_a_redirect_holds_no_raw_value(shop: Flask) -> None:
    chunk = shop.config["CHUNK"]
    carried = 0
    for start in range(0, len(CASES), chunk):
        client = shop.test_client()
        response = client.post(f"/lead/{start}")
        assert response.status_code == 303
        cookie = client.get_cookie(COOKIE_NAME)
        assert cookie is not None, "the calls were not carried in the carry cookie"
        assert leaks(cookie.value, CASES[start : start + chunk]) == []
        text = json.dumps(read(cookie.value), ensure_ascii=False)
        carried += text.count('"Lead"')
        assert leaks(text, CASES[start : start + chunk]) == []
        page = client.get("/thanks")
        assert leaks(page.get_data(as_text=True), CASES[start : start + chunk]) == []
        assert len(calls_in(page).tracks) == len(CASES[start : start + chunk])
    assert carried == len(CASES)


def test_events_api_body_holds_no_raw_value(api: FakeEventsApi) -> None:
    config = PixelConfig(pixel_codes=CODE, default_phone_region=REGION)
    mirror = EventsApiMirror(config, fast_config(api))
    try:
        page = PageEvents(config)
        track_all(page)
        assert mirror.mirror(page, {"REMOTE_ADDR": "203.0.113.9", "HTTP_HOST": "shop.example"})
        expected = len(CASES)
        # page.url and page.referrer carrying the URL cases
        for index, case in enumerate(URL_CASES):
            [url] = _strings(case.params)
            parts = urlsplit(url if "://" in url else "https://shop.example" + url)
            environ = {
                "HTTP_HOST": "shop.example",
                "PATH_INFO": parts.path or "/",
                "QUERY_STRING": parts.query,
                "HTTP_REFERER": url,
            }
            clean = PageEvents(config)
            clean.track("ViewContent", event_id=f"url-{index}", value=1, currency="EUR")
            assert mirror.mirror(clean, environ) == 1
            expected += 1
        assert mirror.flush(30)
    finally:
        assert mirror.close(10)
    assert len(api.events()) == expected
    raw = b"".join(request.raw for request in api.received).decode("utf-8")
    assert leaks(raw) == []
    referrers = [event.get("page", {}).get("referrer", "") for event in api.events()]
    assert any("utm_source=news" in referrer for referrer in referrers)  # allow-listed, kept


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def test_check_output_and_debug_findings_hold_no_raw_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a page written by hand (or by an older version): the raw values are on it
    config = PixelConfig(pixel_codes=CODE, debug=True)
    raw_calls = [Call("track", "Lead", case.params, f"evt-{i}") for i, case in enumerate(CASES)]
    fragment = str(render_calls(config, raw_calls))
    assert leaks(fragment) == [case.label for case in CASES]  # the page really leaks
    findings_block = str(render_findings(config, raw_calls))
    assert leaks(findings_block) == []
    path = tmp_path / "page.html"
    path.write_text(html_page(fragment), encoding="utf-8")
    for output_format in ("text", "json"):
        assert main(["check", "--format", output_format, str(path)]) == 1
        out, err = capsys.readouterr()
        assert leaks(out + err) == []
        assert out.count("pii-in-params") >= len(CASES)
    flagged = [
        case.label
        for case, call in zip(CASES, raw_calls, strict=True)
        if not any(f.id == "pii-in-params" for f in validate_call(call))
    ]
    assert flagged == []


@pytest.mark.parametrize("region", [None, REGION, "US", "DE"])
def test_ordinary_values_are_left_alone(
    region: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    config = PixelConfig(pixel_codes=CODE, default_phone_region=region, pii_policy="raise")
    page = PageEvents(config)
    with caplog.at_level(logging.WARNING):
        for value in ORDINARY:
            params = {
                "description": value,
                "contents": [{"content_id": value, "content_name": value}],
                "tags": [value, {"label": value}],
            }
            page.track("ViewContent", **params)
            [call] = page.calls
            assert call.params["description"] == value
            assert call.params["contents"] == [{"content_id": value, "content_name": value}]
            assert call.params["tags"] == [value, {"label": value}]
            assert not [f for f in validate_call(call) if f.id == "pii-in-params"], value
            page.clear()
    assert "personal data" not in caplog.text
