from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CODE
from tests.events_api.fake_api import TOKEN, FakeEventsApi, Reply, fake_events_api
from tiktok_pixel import sha256_hex
from tiktok_pixel.cli import main


@pytest.fixture
def api(events_api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEventsApi]:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    with fake_events_api(events_api_server) as fake:
        yield fake


def order(i: int, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "track",
        "event": "Order Completed",
        "messageId": f"msg-{i}",
        "timestamp": f"2024-05-01T10:00:{i:02d}Z",
        "userId": f"user-{i}",
        "properties": {
            "order_id": f"order-{i}",
            "currency": "EUR",
            "products": [{"product_id": f"sku-{i}", "price": 10, "quantity": 2}],
        },
        "context": {
            "traits": {"email": f"Buyer{i}@Example.com"},
            "ip": "203.0.113.9",
            "userAgent": "Shop/1.0",
            "page": {"url": f"https://shop.example/thanks?ttclid=E.C.P.{i}", "referrer": ""},
        },
    }
    event.update(extra)
    return event


def write(tmp_path: Path, events: Any) -> str:
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events), encoding="utf-8")
    return str(path)


def send(api: FakeEventsApi, path: str, *extra: str) -> int:
    return main(["send", "--pixel-code", CODE, "--events", path, "--endpoint", api.url, *extra])


def test_every_event_accepted(
    api: FakeEventsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [order(i) for i in range(5)]
    path = write(tmp_path, events)
    assert send(api, path, "--batch-size", "2", "--test-event-code", "TEST7") == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar when stderr is not a terminal
    assert out.splitlines() == [
        "5 input event(s): 5 accepted, 0 failed, 0 skipped; Events API events: 5 sent, "
        "0 failed, 0 retried; 3 request(s), 0 of them retries"
    ]
    assert [len(r.body["data"]) for r in api.received] == [2, 2, 1]
    for r in api.received:
        assert r.headers["Access-Token"] == TOKEN
        assert r.body["event_source_id"] == CODE and r.body["test_event_code"] == "TEST7"
    items = api.events()
    assert [i["event_id"] for i in items] == [f"msg-{i}" for i in range(5)]
    first = items[0]
    assert first["event_time"] == 1714557600  # 2024-05-01T10:00:00Z
    assert first["event"] == "PlaceAnOrder"
    assert first["properties"]["order_id"] == "order-0"
    assert first["user"]["email"] == sha256_hex("buyer0@example.com")
    assert first["user"]["external_id"] == sha256_hex("user-0")
    assert first["user"]["ip"] == "203.0.113.9" and first["user"]["user_agent"] == "Shop/1.0"
    assert first["user"]["ttclid"] == "E.C.P.0"
    assert first["page"] == {"url": "https://shop.example/thanks?ttclid=E.C.P.0"}
    assert b"buyer0@" not in api.received[0].raw.lower()


def test_some_failed_exit_1_and_are_listed_without_pii(
    api: FakeEventsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A batch rejected for its content is split: the two halves are rejected too.
    api.reply(*[Reply(body={"code": 40002, "message": "Invalid email buyer0@example.com"})] * 3)
    events = [order(0), order(1), {"type": "identify", "traits": {"email": "x@y.co"}}]
    events += [{"type": "track", "event": "Nothing Maps This", "messageId": "msg-3"}]
    events += [order(4, timestamp="yesterday"), "not an event", order(6), order(7)]
    path = write(tmp_path, events)
    assert send(api, path, "--batch-size", "2") == 1
    out, _ = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == (
        "8 input event(s): 2 accepted, 5 failed, 1 skipped; Events API events: 2 sent, "
        "2 failed, 2 retried; 4 request(s), 2 of them retries"  # the rejected batch is split
    )
    assert lines[1:] == [
        "failed: #0 (messageId 'msg-0'): HTTP 200, code 40002 (parameter error), "
        "'Invalid email [redacted]'",
        "failed: #1 (messageId 'msg-1'): HTTP 200, code 40002 (parameter error), "
        "'Invalid email [redacted]'",
        "failed: #3 (messageId 'msg-3'): no mapping turns it into a TikTok event",
        "failed: #4 (messageId 'msg-4'): timestamp is not an ISO 8601 date-time",
        "failed: #5: not a JSON object",
    ]
    assert "buyer" not in out.lower() and "@" not in out
    assert sorted(set(api.event_ids())) == ["msg-0", "msg-1", "msg-6", "msg-7"]


def test_retries_then_succeeds(
    api: FakeEventsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.reply(Reply(status=500, body="down"))
    assert send(api, write(tmp_path, [order(0), order(1)])) == 0
    out, _ = capsys.readouterr()
    assert "2 accepted, 0 failed" in out
    assert "events: 2 sent, 0 failed, 2 retried; 2 request(s), 1 of them retries" in out


def test_retries_are_counted_in_events_and_requests_apart(
    api: FakeEventsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # one event, sent three times: it was retried once as an event, in two retry requests
    for _ in range(2):
        api.reply(Reply(status=500, body="down"))
    assert send(api, write(tmp_path, [order(0)]), "--max-retries", "3") == 0
    out, _ = capsys.readouterr()
    assert "events: 1 sent, 0 failed, 1 retried; 3 request(s), 2 of them retries" in out


def test_max_retries_and_timeout_bound_a_dead_endpoint(
    api: FakeEventsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(5):
        api.reply(Reply(status=503, body="down"))
    assert send(api, write(tmp_path, [order(0)]), "--max-retries", "1", "--timeout", "2.5") == 1
    out, _ = capsys.readouterr()
    assert "events: 0 sent, 1 failed, 1 retried; 2 request(s), 1 of them retries" in out
    assert len(api.received) == 2  # the first attempt and one retry, no more


def test_progress_bar_on_a_terminal(
    api: FakeEventsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert send(api, write(tmp_path, [order(i) for i in range(3)])) == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[") and drawn.endswith("] 3/3 events\n")
    assert "#" * 30 in drawn


def test_events_from_stdin(api: FakeEventsApi) -> None:
    result = run_cli(
        ["send", "--pixel-code", CODE, "--events", "-", "--endpoint", api.url],
        stdin=json.dumps([order(0)]),
        env={"TIKTOK_ACCESS_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    assert api.event_ids() == ["msg-0"]
    assert result.stderr == ""


def run_cli(
    args: list[str], *, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "TIKTOK_ACCESS_TOKEN"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )


def test_missing_events_api_extra_exits_2_with_one_line(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "httpx"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no httpx here')\n", encoding="utf-8")
    path = write(tmp_path, [order(0)])
    result = run_cli(
        ["send", "--pixel-code", CODE, "--events", path],
        env={"PYTHONPATH": str(tmp_path / "shadow"), "TIKTOK_ACCESS_TOKEN": "t"},
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "tiktok-pixel send: error: the TikTok Events API client needs httpx: "
        "pip install 'tiktok-pixel[events-api]'"
    ]


def test_missing_token_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, [order(0)])
    result = run_cli(["send", "--pixel-code", CODE, "--events", path])
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tiktok-pixel send: error: set the environment variable ")
    assert "TIKTOK_ACCESS_TOKEN" in lines[0]


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        ([], "not json", "is not valid JSON"),
        ([], {"type": "track"}, "must hold a JSON array of Segment events, not dict"),
        (["--batch-size", "0"], [], "--batch-size must be from 1 to 1000, not 0"),
        (["--batch-size", "1001"], [], "--batch-size must be from 1 to 1000, not 1001"),
        (["--endpoint", "not a url"], [], "--endpoint must be an http(s) URL"),
        (["--pixel-code", "nope"], [], "invalid TikTok pixel code 'nope'"),
        (["--max-retries", "101"], [], "--max-retries must be a whole number from 0 to 20"),
        (["--timeout", "0"], [], "--timeout must be a number of seconds from 0.1 to 300"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    content: Any,
    message: str,
) -> None:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    path = tmp_path / "events.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    base = ["send", "--pixel-code", CODE, "--events", str(path)]
    assert main(base + args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("tiktok-pixel send: error: ") and message in line
    assert TOKEN not in err


def test_unreadable_file_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    missing = str(tmp_path / "missing.json")
    result = run_cli(
        ["send", "--pixel-code", CODE, "--events", missing], env={"TIKTOK_ACCESS_TOKEN": TOKEN}
    )
    assert result.returncode == 2
    assert "cannot read --events file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_lists_exactly_the_documented_options() -> None:
    result = run_cli(["send", "--help"])
    assert result.returncode == 0
    for option in ("--pixel-code", "--events", "--endpoint", "--test-event-code", "--batch-size"):
        assert option in result.stdout
    assert "token" not in result.stdout.split("options:")[1].split("Exit")[0].lower()
    assert run_cli(["send"]).returncode == 2  # required options missing
