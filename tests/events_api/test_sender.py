from __future__ import annotations

import logging
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from tests.conftest import CODE, CODE2
from tests.events_api.conftest import fast_config
from tests.events_api.fake_api import TOKEN, FakeEventsApi, Reply
from tiktok_pixel.events_api import (
    BackgroundSender,
    Outcome,
    SendResult,
    api_event,
)


def events(n: int, prefix: str = "ev") -> list[dict[str, Any]]:
    return [api_event("AddToCart", f"{prefix}-{i}", event_time=1_700_000_000) for i in range(n)]


@pytest.fixture
def make_sender(api: FakeEventsApi) -> Iterator[Any]:
    made: list[BackgroundSender] = []

    def make(**changes: Any) -> BackgroundSender:
        sender = BackgroundSender.from_config(fast_config(api, **changes))
        made.append(sender)
        return sender

    yield make
    for sender in made:
        sender.close(timeout=2)


def test_batches_respect_the_batch_size(api: FakeEventsApi, make_sender: Any) -> None:
    sender = make_sender(batch_size=1000, flush_interval=5.0)
    for event in events(2500):
        assert sender.enqueue(CODE, event)
    assert sender.flush(timeout=10)
    sizes = [len(r.body["data"]) for r in api.received]
    assert sorted(sizes, reverse=True) == [1000, 1000, 500]
    assert api.event_ids() == [f"ev-{i}" for i in range(2500)]  # order kept
    stats = sender.stats()
    assert (stats.sent, stats.failed, stats.dropped, stats.retried) == (2500, 0, 0, 0)
    assert stats.requests == 3 and stats.queued == 0


def test_a_lower_batch_size_and_one_request_per_pixel(api: FakeEventsApi, make_sender: Any) -> None:
    sender = make_sender(batch_size=3, flush_interval=5.0)
    for i, event in enumerate(events(8)):
        sender.enqueue(CODE if i % 2 else CODE2, event)
    assert sender.flush(timeout=10)
    assert all(len(r.body["data"]) <= 3 for r in api.received)
    by_pixel: dict[str, list[str]] = {}
    for r in api.received:
        by_pixel.setdefault(r.body["event_source_id"], []).extend(
            e["event_id"] for e in r.body["data"]
        )
    assert by_pixel == {
        CODE: ["ev-1", "ev-3", "ev-5", "ev-7"],
        CODE2: ["ev-0", "ev-2", "ev-4", "ev-6"],
    }


def test_flush_interval_sends_a_lone_event(api: FakeEventsApi, make_sender: Any) -> None:
    sender = make_sender(flush_interval=0.05)
    sender.enqueue(CODE, events(1)[0])
    deadline = time.monotonic() + 5
    while not api.received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.event_ids() == ["ev-0"]


@pytest.mark.parametrize(
    "failure",
    [
        Reply(status=429, body={"message": "slow down"}),
        Reply(status=500, body="boom"),
        Reply(status=200, body={"code": 40100, "message": "rate limited"}),
    ],
)
def test_retries_with_backoff_then_succeeds(
    api: FakeEventsApi, make_sender: Any, failure: Reply
) -> None:
    api.reply(failure, failure)
    sender = make_sender(backoff_base=0.05, backoff_max=1.0)
    for event in events(10):
        sender.enqueue(CODE, event)
    start = time.monotonic()
    assert sender.flush(timeout=10)
    elapsed = time.monotonic() - start
    assert len(api.received) == 3
    # the same batch every time: same event_ids, so TikTok deduplicates any repeat
    assert all(r.body == api.received[0].body for r in api.received)
    stats = sender.stats()
    assert (stats.sent, stats.retried, stats.failed) == (10, 20, 0)
    # equal jitter: at least half of 0.05 + 0.1 was waited between the attempts
    assert elapsed >= 0.075


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    sender = BackgroundSender(
        _NullTransport(), backoff_base=1.0, backoff_max=10.0, shutdown_timeout=0
    )
    for attempt, full in enumerate([1.0, 2.0, 4.0, 8.0, 10.0, 10.0]):
        delays = [sender._backoff(attempt, None) for _ in range(200)]
        assert full / 2 <= min(delays) and max(delays) <= full
        assert statistics.pstdev(delays) > 0  # jittered
    assert sender._backoff(0, retry_after=7.0) == 7.0
    assert sender._backoff(0, retry_after=99.0) == 10.0  # capped
    sender.close(0)


def test_no_retry_on_validation_errors(
    api: FakeEventsApi, make_sender: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.reply(
        Reply(status=200, body={"code": 40105, "message": "Invalid token for a@b.co"}),
        Reply(status=400, body={"code": 40001, "message": "no permission"}),
    )
    sender = make_sender(batch_size=5)
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        for event in events(10):
            sender.enqueue(CODE, event)
        assert sender.flush(timeout=10)
    assert len(api.received) == 2  # one attempt per batch
    stats = sender.stats()
    assert (stats.sent, stats.retried, stats.failed) == (0, 0, 10)
    text = caplog.text
    assert "rejected 5 event(s)" in text and "code 40105 (invalid or revoked access" in text
    assert "Invalid token for [redacted]" in text and "a@b.co" not in text
    assert TOKEN not in text


def test_gives_up_after_max_retries(api: FakeEventsApi, make_sender: Any) -> None:
    api.default = Reply(status=503, body={})
    sender = make_sender(max_retries=3)
    sender.enqueue(CODE, events(1)[0])
    assert sender.flush(timeout=10)
    assert len(api.received) == 4
    stats = sender.stats()
    assert (stats.sent, stats.retried, stats.failed) == (0, 3, 1)


def test_timeouts_are_retried(api: FakeEventsApi, make_sender: Any) -> None:
    api.reply(Reply(hang=2.0))
    sender = make_sender(timeout=0.2)
    for event in events(3):
        sender.enqueue(CODE, event)
    assert sender.flush(timeout=10)
    api.release.set()
    stats = sender.stats()
    assert (stats.sent, stats.retried, stats.failed) == (3, 3, 0)
    assert len(api.received) == 2


def test_nothing_lost_when_the_server_comes_back(api: FakeEventsApi, make_sender: Any) -> None:
    """TikTok down for a while (5xx, timeouts), back within the retry window: all delivered."""
    api.reply(
        Reply(status=502, body="bad gateway"),
        Reply(hang=1.0),
        Reply(status=503, body={}),
        Reply(status=200, body={"code": 40100, "message": "rate limit"}),
    )
    sender = make_sender(batch_size=50, timeout=0.2, max_retries=6, backoff_max=0.1)
    sent = events(400)
    for event in sent:
        assert sender.enqueue(CODE, event)
    assert sender.flush(timeout=20)
    api.release.set()
    stats = sender.stats()
    assert (stats.sent, stats.failed, stats.dropped) == (400, 0, 0)
    accepted = set(api.event_ids())
    assert accepted == {e["event_id"] for e in sent}


def test_close_flushes_what_is_queued(api: FakeEventsApi) -> None:
    sender = BackgroundSender.from_config(fast_config(api, flush_interval=30.0))
    for event in events(7):
        sender.enqueue(CODE, event)
    assert sender.close(timeout=5) is True
    assert len(api.event_ids()) == 7
    # closed: later events are dropped, never sent, and the call still does not raise
    assert sender.enqueue(CODE, events(1)[0]) is False
    assert sender.stats().dropped == 1
    assert sender.close() is True  # idempotent


def test_close_gives_up_at_its_timeout(api: FakeEventsApi) -> None:
    api.default = Reply(status=500, body={})
    sender = BackgroundSender.from_config(
        fast_config(api, backoff_base=0.5, backoff_max=0.5, max_retries=20)
    )
    for event in events(5):
        sender.enqueue(CODE, event)
    start = time.monotonic()
    assert sender.close(timeout=0.3) is True  # nothing left queued: the batch failed instead
    assert time.monotonic() - start < 2
    stats = sender.stats()
    assert stats.failed == 5 and stats.sent == 0


def test_flush_at_interpreter_exit(api: FakeEventsApi) -> None:
    """The atexit hook sends what is queued when the process ends without close()."""
    script = textwrap.dedent(
        f"""
        from tiktok_pixel.events_api import BackgroundSender, EventsApiConfig, api_event
        config = EventsApiConfig(access_token="t", endpoint={api.url!r}, flush_interval=60.0)
        sender = BackgroundSender.from_config(config)
        for i in range(25):
            sender.enqueue({CODE!r}, api_event("Purchase", f"exit-{{i}}"))
        print(sender.stats().queued)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "25"  # nothing was sent before exit
    assert sorted(api.event_ids()) == sorted(f"exit-{i}" for i in range(25))


class _NullTransport:
    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        return SendResult(Outcome.ACCEPTED, len(events))

    def close(self) -> None:
        pass


class _BlockedTransport(_NullTransport):
    def __init__(self) -> None:
        self.release = threading.Event()
        self.sent = 0

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        self.release.wait(10)
        self.sent += len(events)
        return SendResult(Outcome.ACCEPTED, len(events))


def test_a_full_queue_drops_with_one_warning_per_burst(caplog: pytest.LogCaptureFixture) -> None:
    transport = _BlockedTransport()
    sender = BackgroundSender(transport, batch_size=10, queue_size=100, flush_interval=0.01)
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        sender.enqueue(CODE, events(1)[0])
        deadline = time.monotonic() + 5
        while sender.stats().queued and time.monotonic() < deadline:
            time.sleep(0.005)  # the thread has taken the first event and is stuck sending it
        results = [sender.enqueue(CODE, e) for e in events(1000)]
        assert results.count(True) == 100 and results.count(False) == 900
        assert sender.stats().dropped == 900
        warnings = [r for r in caplog.records if "dropping events" in r.getMessage()]
        assert len(warnings) == 1
        assert "queue is full (100 events)" in warnings[0].getMessage()
        transport.release.set()
        assert sender.flush(timeout=10)
        # the burst is over once the queue drained: the next one warns again
        transport.release.clear()
        sender.enqueue(CODE, events(1)[0])
        while sender.stats().queued and time.monotonic() < deadline + 5:
            time.sleep(0.005)
        for e in events(200):
            sender.enqueue(CODE, e)
        warnings = [r for r in caplog.records if "dropping events" in r.getMessage()]
        assert len(warnings) == 2
        transport.release.set()
    assert sender.close(timeout=5)
    assert transport.sent == 1 + 100 + 1 + 100
    assert sender.stats().sent == transport.sent


def test_enqueue_stays_fast_while_tiktok_hangs(api: FakeEventsApi) -> None:
    """TikTok down (every request hangs) does not slow the request thread."""
    api.default = Reply(hang=5.0)
    sender = BackgroundSender.from_config(
        fast_config(api, batch_size=100, queue_size=2000, timeout=5.0)
    )
    batch = events(5000)
    sender.enqueue(CODE, batch[0])
    deadline = time.monotonic() + 5
    while not api.received and time.monotonic() < deadline:
        time.sleep(0.005)
    assert api.received  # a request is in flight and hanging
    latencies = []
    for event in batch[1:]:
        start = time.perf_counter()
        sender.enqueue(CODE, event)
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    assert statistics.median(latencies) < 20e-6
    assert latencies[int(len(latencies) * 0.99)] < 200e-6
    assert sum(latencies) < 0.25
    stats = sender.stats()
    assert stats.queued == 2000 and stats.dropped == 4999 - 2000
    api.release.set()
    sender.close(timeout=5)


def test_close_that_times_out_mid_request_counts_the_batch_and_warns(
    api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Events in a request still under way at the limit are counted (abandoned), once."""
    api.default = Reply(hang=20)
    sender = BackgroundSender.from_config(fast_config(api, timeout=30.0, batch_size=40))
    for event in events(100):
        sender.enqueue(CODE, event)
    assert _wait(lambda: len(api.received) == 1)  # the first batch of 40 is in flight
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        assert sender.close(timeout=0.3) is False
    stats = sender.stats()
    assert (stats.abandoned, stats.dropped, stats.sent, stats.failed) == (40, 60, 0, 0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "60 queued event(s) not sent and 40 event(s)" in warnings[0]
    api.release.set()  # the request now ends: it must not be counted a second time
    assert _wait(lambda: sender._thread is None or not sender._thread.is_alive())
    assert sender.stats().sent == 0 and sender.stats().abandoned == 40


def test_the_log_throttle_keeps_a_bounded_number_of_keys() -> None:
    from tiktok_pixel.events_api.sender import _Throttle

    throttle = _Throttle(interval=60.0, max_keys=64)
    for code in range(10_000):
        assert throttle.allow(f"rejected:200:{code}") == (True, 0)
    assert len(throttle) == 64
    assert throttle.allow("rejected:200:9999") == (False, 0)  # recent keys are still held


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("flush_interval", 1e-9, "flush_interval must be a number of seconds from 0.01 to 60"),
        ("batch_size", 5000, "batch_size must be a whole number from 1 to 1000"),
        ("queue_size", 0, "queue_size must be a whole number from 1 to 1000000"),
        ("max_retries", 1000, "max_retries must be a whole number from 0 to 20"),
        ("backoff_max", 1e6, "backoff_max must be a number of seconds from 0.01 to 600"),
        ("log_interval", 0.0, "log_interval must be a number of seconds from 1 to 3600"),
    ],
)
def test_a_sender_made_directly_checks_its_bounds(setting: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BackgroundSender(_NullTransport(), **{setting: value})


def _wait(check: Any, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return bool(check())
