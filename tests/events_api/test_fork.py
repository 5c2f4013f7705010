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
    # one request, or two when the thread woke between the enqueues (a loaded machine)
    assert before.sent == 3 and before.requests in (1, 2) and before.retried == 0

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
    assert (after.sent, after.retried, after.failed) == (4, 0, 0)
    assert after.requests == before.requests + 1
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


@pytest.mark.timeout(300)
@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
def test_under_gunicorn(sink: EventSink, preload: bool, tmp_path: Any) -> None:
    """gunicorn's 2 sync workers on 127.0.0.1, with and without ``--preload``."""
    import concurrent.futures
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    from benchmarks.celery_scale import free_port, wait_until

    root = Path(__file__).resolve().parents[2]
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}"]
    args += ["--chdir", str(root), "--graceful-timeout", "10", "--log-level", "warning"]
    args += ["--preload"] if preload else []
    args += ["tests.events_api.gunicorn_app:app"]
    env = {**os.environ, "TP_ENDPOINT": sink.url, "PYTHONPATH": str(root)}
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(args, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}/"

    warm: dict[str, Any] = {}

    def up() -> bool:
        try:
            warm.update(httpx.get(base + "?warmup", timeout=2).json())
        except (httpx.HTTPError, ValueError):
            return False
        return True

    try:
        assert wait_until(up, 60, step=0.1), log.read_text()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(
                pool.map(lambda i: httpx.get(f"{base}?req-{i}", timeout=20).json(), range(40))
            )
    finally:
        server.terminate()
        server.wait(30)
    with sink.lock:
        ids = dict(sink.ids)
        log_ports = list(sink.log)
    assert all(ids.get(f"req-{i}") == 1 for i in range(40)), ids  # each once
    assert all(a["retried"] == 0 and a["failed"] == 0 for a in answers)  # no first-request failure
    pids = {a["pid"] for a in answers}
    master_import = [k for k in ids if k.startswith("import-")]
    if preload:
        assert len(master_import) == 1  # only the master imported (and sent) before forking
        master_port = next(port for port, sent in log_ports if master_import[0] in sent)
        worker_ports = {port for port, sent in log_ports if any(s.startswith("req-") for s in sent)}
        assert master_port not in worker_ports  # no worker wrote on the master's connection
    else:
        assert len(master_import) == 2  # each worker imported the app itself
    # A warm-up that timed out on a loaded machine is asked again, so there may be several; each
    # reached the sink as one "warmup" event from whichever worker served it.
    warmups = ids.get("warmup", 0)
    own_import = 0 if preload else 1
    total = 0
    for pid in pids:
        last = max((a for a in answers if a["pid"] == pid), key=lambda a: a["sent"])
        served = sum(1 for a in answers if a["pid"] == pid)
        # a worker's counters hold its own sends only (its requests, any warm-ups it served
        # and, without --preload, its own import-time event), never the master's
        assert served + own_import <= last["sent"] <= served + own_import + warmups, (pid, last)
        total += last["sent"]
    if len(pids) == 2:  # both workers answered: every send is counted by exactly one of them
        assert total == 40 + warmups + 2 * own_import, (total, warmups)
