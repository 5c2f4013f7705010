"""``render --events FILE|-`` and ``--mappings FILE``: Segment events on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CODE
from tests.payload import payloads
from tests.segment_events import IDENTIFY, spec_event


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", "render", "--pixel-code", CODE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def write(tmp_path: Path, name: str, data: Any) -> str:
    target = tmp_path / name
    target.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(target)


def test_events_file_is_mapped_with_the_defaults(tmp_path: Path) -> None:
    events = [spec_event("Product Added"), spec_event("Order Completed")]
    result = run("--events", write(tmp_path, "events.json", events))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    calls = payloads(result.stdout)[0]["calls"]
    assert calls[0] == ["identify", IDENTIFY]
    assert [(c[0], c[1]) for c in calls[1:]] == [("track", "AddToCart"), ("track", "PlaceAnOrder")]
    assert calls[2][3] == {"event_id": "msg-order-completed"}


def test_events_from_stdin_with_custom_mappings(tmp_path: Path) -> None:
    mappings = {
        "set": "tiktok_2025",
        "mappings": [{"name": "order_completed", "params": {"value": "properties.total"}}],
    }
    result = run(
        "--events",
        "-",
        "--mappings",
        write(tmp_path, "mappings.json", mappings),
        stdin=json.dumps([spec_event("Order Completed"), spec_event("Form Submitted")]),
    )
    assert result.returncode == 0, result.stderr
    calls = payloads(result.stdout)[0]["calls"]
    tracks = [c for c in calls if c[0] == "track"]
    assert [(c[1], c[2].get("value")) for c in tracks] == [("Purchase", 27.5), ("Lead", None)]


def test_a_malformed_event_is_skipped_and_the_others_render(tmp_path: Path) -> None:
    events = [
        spec_event("Product Added"),
        "Order Completed",
        spec_event("Checkout Started", properties="oops"),
        spec_event("Products Searched"),
    ]
    result = run("--events", write(tmp_path, "events.json", events))
    assert result.returncode == 0, result.stderr
    tracks = [c[1] for c in payloads(result.stdout)[0]["calls"] if c[0] == "track"]
    assert tracks == ["AddToCart", "Search"]
    lines = result.stderr.splitlines()
    assert lines == [
        "tiktok-pixel render: warning: event #1 is not an object; skipped",
        "tiktok-pixel render: warning: Segment event 'Checkout Started': properties is not an "
        "object; the event was dropped",
    ]


def test_coercion_warnings_carry_the_same_prefix(tmp_path: Path) -> None:
    event = spec_event("Order Completed")
    event["properties"]["revenue"] = "19.99"
    event["properties"]["currency"] = "eur"
    result = run("--events", write(tmp_path, "events.json", [event]))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "tiktok-pixel render: warning: TikTok event 'PlaceAnOrder': value was a string, sent as "
        "the number 19.99; currency 'eur' sent as 'EUR'"
    ]


@pytest.mark.parametrize(
    ("option", "content", "message"),
    [
        ("--events", None, "cannot read --events file"),
        ("--events", "[{", "--events file '{path}' is not valid JSON: "),
        ("--events", '{"type": "track"}', "must hold a JSON array of events, not dict"),
        ("--events", b"\xff\xfe[]", "not UTF-8 text"),
        ("--mappings", "{oops", "--mappings file '{path}' is not valid JSON"),
        ("--mappings", '{"set": "nope"}', "mappings: set: 'nope' is not a set"),
        (
            "--mappings",
            '[{"name": "x", "subscribe": "X", "event": "Lead", "params": {"e_mail": "a"}}]',
            "mapping 'x': field params.e_mail: 'e_mail' looks like the identify field 'email'",
        ),
    ],
)
def test_bad_files_exit_2_with_one_line(
    tmp_path: Path, option: str, content: str | bytes | None, message: str
) -> None:
    target = tmp_path / "input.json"
    if isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        target.write_text(content, encoding="utf-8")
    result = run(option, str(target))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tiktok-pixel render: error: ")
    assert message.replace("{path}", str(target)) in lines[0]
