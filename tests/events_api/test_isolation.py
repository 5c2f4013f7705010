"""One visitor's bad data never costs other visitors their events (issue 13, finding 1).

Two values used to pass the checks and then fail a whole batch at encoding time: a lone
surrogate (``"mug \\ud800"``, which Flask's ``get_json()`` accepts) and an integer of more than
4,300 digits. And a batch TikTok rejects for one event's content used to lose every event in it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.conftest import CODE
from tests.events_api.conftest import fast_config
from tests.events_api.fake_api import FakeEventsApi, Reply
from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.events_api import (
    BackgroundSender,
    EventsApiClient,
    EventsApiMirror,
    Outcome,
    api_event,
)
from tiktok_pixel.events_api.payload import encode_batch, encode_body, encode_event, request_body

SURROGATE = "mug \ud800"
HUGE = 10**4300  # 4,301 digits: Python cannot even write it as text


def ordinary(n: int) -> list[dict[str, Any]]:
    return [
        api_event("AddToCart", f"ok-{i}", event_time=1_700_000_000, properties={"value": i})
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("bad", "field", "what"),
    [
        ({"description": SURROGATE}, "properties.description", "lone surrogate"),
        ({"custom": {"note": SURROGATE}}, "properties.custom.note", "lone surrogate"),
        ({"value": HUGE}, "properties.value", "beyond ±2**53"),
        ({"value": 2**60}, "properties.value", "beyond ±2**53"),
        ({"value": float("nan")}, "properties.value", "NaN or infinite"),
        ({"value": object()}, "properties.value", "not JSON-serialisable"),
    ],
)
def test_a_poisoned_event_does_not_fail_its_batch(
    api: FakeEventsApi, caplog: pytest.LogCaptureFixture, bad: dict[str, Any], field: str, what: str
) -> None:
    events = ordinary(9)
    events.insert(4, api_event("AddToCart", "poisoned", event_time=1_700_000_000, properties=bad))
    sender = BackgroundSender.from_config(fast_config(api))
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        for event in events:
            assert sender.enqueue(CODE, event)
        assert sender.close(timeout=10)
    assert len(api.received) == 1  # one batch, accepted whole
    assert sorted(api.accepted_ids()) == sorted([f"ok-{i}" for i in range(9)] + ["poisoned"])
    assert sender.stats().sent == 10 and sender.stats().failed == 0
    json.loads(api.received[0].raw.decode("utf-8"))  # strict UTF-8 and JSON
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert field in warnings[0] and what in warnings[0] and "'AddToCart'" in warnings[0]
    assert "mug" not in warnings[0]  # the field is named, its value is not quoted
    poisoned = next(e for e in api.events() if e["event_id"] == "poisoned")
    if "surrogate" in what:
        assert "mug \ufffd" in json.dumps(poisoned, ensure_ascii=False)
    else:
        assert "value" not in poisoned.get("properties", {})


def test_the_page_side_refuses_the_values_at_track(
    api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the mirror: 9 ordinary visitors and one sending both bad values, all delivered."""
    pixel = PixelConfig(pixel_codes=CODE)
    mirror = EventsApiMirror(pixel, fast_config(api))
    ids = []
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        for i in range(10):
            page = PageEvents(pixel)
            if i == 3:
                ids.append(
                    page.track("AddToCart", value=HUGE, description=SURROGATE, note=SURROGATE)
                )
                fragment = str(page.render())
            else:
                ids.append(page.track("AddToCart", value=i, currency="EUR"))
            mirror.mirror(page)
        assert mirror.close(timeout=10)
    assert sorted(api.accepted_ids()) == sorted(ids)
    assert all(ids)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # one per bad call, naming each field
    assert "value is an integer beyond ±2**53" in warnings[0]
    assert "description holds a lone surrogate" in warnings[0]
    assert "note holds a lone surrogate" in warnings[0]
    assert ids[3] in fragment and "AddToCart" in fragment


def test_one_bad_call_never_removes_the_rest_of_the_fragment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    first = page.track("ViewContent", content_ids=["sku-1"])
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        page.track("AddToCart", value=HUGE, num_items=HUGE, contents=[{"price": HUGE, "x": HUGE}])
        page.track("Search", query=SURROGATE, contents=[{"content_name": SURROGATE}], big=[HUGE])
        page.track("Purchase", order_id=HUGE, content_ids=[HUGE, "sku-2"])
    last = page.track("Lead", value=2**53, event_id="lead-1")
    html = str(page.render())
    for event in ("ViewContent", "AddToCart", "Search", "Purchase", "Lead"):
        assert event in html
    assert first is not None and first in html and last == "lead-1" and "lead-1" in html
    assert "9007199254740992" in html  # 2**53 itself is exact in a double: kept
    assert len(caplog.records) == 3  # one warning per bad call


def test_a_batch_rejected_for_one_event_is_split_so_the_others_go(
    api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    """TikTok fails a whole batch for one invalid row: halves go again down to the bad one."""

    def rule(body: Any) -> Reply | None:
        if any(item["event_id"].startswith("bad") for item in body["data"]):
            return Reply(body={"code": 40002, "message": "invalid event_time"})
        return None

    api.rule = rule
    events = ordinary(9)
    events.insert(6, api_event("AddToCart", "bad-1", event_time=1))
    sender = BackgroundSender.from_config(fast_config(api, flush_interval=5.0))
    with caplog.at_level(logging.INFO, "tiktok_pixel"):
        for event in events:
            sender.enqueue(CODE, event)
        assert sender.close(timeout=10)
    assert sorted(api.accepted_ids()) == sorted(f"ok-{i}" for i in range(9))
    stats = sender.stats()
    assert (stats.sent, stats.failed, stats.retried) == (9, 1, 0)
    # 10 -> 5 + 5 -> the bad half 5 -> 2 + 3 -> 3 -> 1 + 2 -> 1 + 1: log2-bounded
    assert stats.requests <= 1 + 2 * 4
    rejected = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(rejected) == 1 and "rejected 1 event(s)" in rejected[0]


def test_auth_errors_are_not_split(api: FakeEventsApi) -> None:
    api.default = Reply(body={"code": 40105, "message": "token revoked"})
    sender = BackgroundSender.from_config(fast_config(api))
    for event in ordinary(8):
        sender.enqueue(CODE, event)
    assert sender.close(timeout=10)
    assert len(api.received) == 1 and sender.stats().failed == 8


def test_the_client_encodes_each_event_on_its_own(
    api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    events = [*ordinary(2), {"event": "Lead", "event_id": "l", "value": float("inf")}]
    with (
        caplog.at_level(logging.WARNING, "tiktok_pixel"),
        EventsApiClient("t", endpoint=api.url) as client,
    ):
        result = client.send(CODE, events)
    assert result.outcome is Outcome.ACCEPTED
    assert api.accepted_ids() == ["ok-0", "ok-1", "l"]
    assert "value is NaN or infinite" in caplog.text


def test_a_batch_encodes_like_the_whole_body_when_nothing_is_wrong() -> None:
    events = ordinary(50)
    whole = encode_body(request_body(CODE, events, test_event_code="T1"))
    assert json.loads(encode_batch(CODE, events, test_event_code="T1")) == json.loads(whole)
    mixed = encode_batch(CODE, [encode_event(events[0]), events[1]])
    assert json.loads(mixed)["data"] == events[:2]


def test_encode_event_fast_path_and_exact_check() -> None:
    event = api_event("AddToCart", "x", event_time=1_700_000_000, properties={"n": 2**53})
    assert json.loads(encode_event(event))["properties"]["n"] == 2**53
    too_big = {**event, "properties": {"n": 2**53 + 1, "id": "1234567890123456789"}}
    assert json.loads(encode_event(too_big))["properties"] == {"id": "1234567890123456789"}
    assert json.loads(encode_event({"a": [1, -(2**53) - 1, 2**53]}))["a"] == [1, 2**53]
    hashes = {"h": "ab" + "1" * 40, "url": "https://x.example/?a=1,12345678901234567890"}
    assert json.loads(encode_event(hashes)) == hashes  # digit runs in strings are kept
    assert json.loads(encode_event({"a": "\ud83d\ude00"}))["a"] == "\U0001f600"  # a split pair
    with pytest.raises(TypeError):
        encode_event(["not", "an", "event"])  # type: ignore[arg-type]
