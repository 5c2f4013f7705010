"""Fork safety (issue 13, finding 3): a forked child gets its own client, queue, thread, counters.

The parent sends first, so its pooled keep-alive connection is open at the fork. Before the
fix, the child's first request went out on the parent's socket and failed (or both processes
talked over one TCP connection), and the child's counters included the parent's sends.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from benchmarks.celery_scale import EventSink
from tests.conftest import CODE
from tiktok_pixel.events_api import BackgroundSender, EventsApiClient, EventsApiConfig, api_event

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture
def sink() -> Any:
    """A keep-alive HTTP/1.1 stand-in that logs each request's client port."""
    with EventSink() as sink:
        yield sink


def config_for(sink: EventSink, **changes: Any) -> EventsApiConfig:
    values: dict[str, Any] = {
        "access_token": "t",
        "endpoint": sink.url,
        "flush_interval": 0.05,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 5.0,
    }
    return EventsApiConfig(**{**values, **changes})


def port_of(sink: EventSink, event_id: str) -> int:
    with sink.lock:
        return next(port for port, ids in sink.log if event_id in ids)


def _child(work: Any) -> dict[str, Any]:
    """Run ``work()`` in a forked child; return the dict it produced (or its error)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            os.close(read)
            payload = json.dumps(work()).encode()
        except BaseException as exc:
            payload = json.dumps({"error": repr(exc)}).encode()
            code = 1
        os.write(write, payload)
        os.close(write)
        os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b"{}")
    assert os.waitstatus_to_exitcode(status) == 0, result
    return result


@pytest.mark.parametrize("run", range(5))
def test_a_forked_child_starts_afresh_after_the_parent_sent(sink: EventSink, run: int) -> None:
    sender = BackgroundSender.from_config(config_for(sink))
    for i in range(3):
        sender.enqueue(CODE, api_event("AddToCart", f"parent-{run}-{i}"))
    assert sender.flush(timeout=10)
    parent_port = port_of(sink, f"parent-{run}-0")
    before = sender.stats()
    assert (before.sent, before.requests) == (3, 1)

    def in_child() -> dict[str, Any]:
        fresh = sender.stats()
        sender.enqueue(CODE, api_event("AddToCart", f"child-{run}"))
        ok = sender.flush(timeout=10)
        after = sender.stats()
        sender.close(timeout=5)
        return {
            "fresh": [fresh.sent, fresh.requests, fresh.queued],
            "flushed": ok,
            "after": [after.sent, after.retried, after.failed, after.requests],
        }

    child = _child(in_child)
    assert child["fresh"] == [0, 0, 0]  # the parent's sends are the parent's
    assert child["flushed"] is True
    assert child["after"] == [1, 0, 0, 1]  # first request went through, no retry
    assert port_of(sink, f"child-{run}") != parent_port  # its own TCP connection

    # The parent is unaffected: it keeps its connection and its counters.
    sender.enqueue(CODE, api_event("AddToCart", f"parent-{run}-late"))
    assert sender.flush(timeout=10)
    after = sender.stats()
    assert (after.sent, after.retried, after.failed, after.requests) == (4, 0, 0, 2)
    assert port_of(sink, f"parent-{run}-late") == parent_port  # still its keep-alive connection
    assert sum(sink.ids.values()) == 5
    sender.close(timeout=5)


def test_a_client_used_across_fork_makes_its_own_pool(sink: EventSink) -> None:
    """A bare EventsApiClient (the Celery worker's) checks its PID like redis-py does."""
    with EventsApiClient("t", endpoint=sink.url) as client:
        assert client.send(CODE, [api_event("Lead", "p")]).ok
        parent_port = port_of(sink, "p")

        def in_child() -> dict[str, Any]:
            result = client.send(CODE, [api_event("Lead", "c")])
            return {"ok": result.ok}

        assert _child(in_child) == {"ok": True}
        assert port_of(sink, "c") != parent_port
        assert client.send(CODE, [api_event("Lead", "p2")]).ok
        assert port_of(sink, "p2") == parent_port


def test_the_thread_of_the_parent_is_not_assumed_in_the_child(sink: EventSink) -> None:
    """A child forked while the parent's thread waits gets a thread of its own."""
    sender = BackgroundSender.from_config(config_for(sink, flush_interval=30.0))
    sender.enqueue(CODE, api_event("Lead", "queued-in-parent"))
    time.sleep(0)  # the parent's thread is parked in wait(): the fork copies none of it

    def in_child() -> dict[str, Any]:
        alive = sender._thread is not None
        sender.enqueue(CODE, api_event("Lead", "from-child"))
        return {"had_thread": alive, "closed": sender.close(timeout=5)}

    assert _child(in_child) == {"had_thread": False, "closed": True}
    assert "queued-in-parent" not in sink.ids  # the parent's queue stays the parent's
    assert sender.close(timeout=5)
    assert sorted(sink.ids) == ["from-child", "queued-in-parent"]
