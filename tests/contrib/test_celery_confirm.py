"""Confirmations: a batch handed to Celery is watched until a worker finished it.

Unit tests of :class:`Confirmations` against a stand-in result backend (timeouts below the
setting's bounds, so they run fast), then the whole path with Celery's in-memory broker, a cache
result backend and a real worker thread. The broker-kill run is in ``test_celery_redis.py``.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from celery import Celery

from benchmarks.celery_scale import wait_until
from tests.conftest import CODE
from tests.contrib.celery_memory import memory_celery
from tests.events_api.fake_api import TOKEN, FakeEventsApi
from tiktok_pixel.contrib import celery as tp_celery
from tiktok_pixel.contrib.celery_confirm import (
    MAX_HANDOVERS,
    Confirmations,
    check_backend,
    finished,
)
from tiktok_pixel.events_api import EventsApiConfig, api_event

# -- Confirmations on its own --------------------------------------------------------------------


class Conf:
    result_backend = "stand-in://"
    result_serializer = "json"
    result_compression = None


class Backend:
    """A key-value result backend: ``states[task_id]`` is what a worker recorded."""

    def __init__(self) -> None:
        self.states: dict[str, bytes] = {}
        self.down = False
        self.lookups = 0

    def get_key_for_task(self, task_id: str) -> str:
        return f"celery-task-meta-{task_id}"

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        self.lookups += 1
        if self.down:
            raise ConnectionError("result backend down")
        return [self.states.get(k.removeprefix("celery-task-meta-")) for k in keys]

    def record(self, task_id: str, status: str) -> None:
        self.states[task_id] = json.dumps({"status": status, "task_id": task_id}).encode()


class App:
    def __init__(self, backend: Any = None) -> None:
        self.conf = Conf()
        self.backend = backend if backend is not None else Backend()


class Broker:
    """Publishes by handing out new task ids; ``published`` records what was handed over."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, list[str]]] = []
        self.down = False

    def __call__(self, pixel_code: str, events: Sequence[str]) -> str:
        if self.down:
            raise ConnectionError("broker down")
        task_id = str(uuid.uuid4())
        self.published.append((task_id, pixel_code, list(events)))
        return task_id


def watching(timeout: float = 0.05, max_pending: int = 100) -> tuple[Confirmations, Backend]:
    app = App()
    confirmations = Confirmations(app, timeout, max_pending)
    confirmations.interval = 0.0  # look up on every poll
    return confirmations, app.backend


def test_a_finished_task_is_forgotten_and_counted_as_confirmed() -> None:
    confirmations, backend = watching(timeout=60)
    confirmations.handed("t1", CODE, ["a", "b"])
    confirmations.handed("t2", CODE, ["c"])
    backend.record("t1", "SUCCESS")
    backend.record("t2", "RETRY")  # still under way: a retry is not a confirmation
    broker = Broker()
    confirmations.poll(broker, force=True)
    stats = confirmations.stats()
    assert (stats.pending, stats.confirmed, stats.handed_again) == (1, 2, 0)
    backend.record("t2", "FAILURE")  # finished (TikTok refused it): nothing to hand over again
    confirmations.poll(broker, force=True)
    assert confirmations.stats().confirmed == 3 and len(confirmations) == 0
    assert broker.published == []


def test_a_task_no_worker_finished_is_handed_over_again_then_confirmed() -> None:
    confirmations, backend = watching(timeout=0.05)
    confirmations.handed("lost", CODE, ['{"event_id":"e1"}'])
    broker = Broker()
    confirmations.poll(broker, force=True)
    assert broker.published == []  # not overdue yet
    assert wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 5)
    (new_id, code, events), *rest = broker.published
    assert (code, events, rest) == (CODE, ['{"event_id":"e1"}'], [])
    assert confirmations.stats().handed_again == 1
    backend.record(new_id, "SUCCESS")
    confirmations.poll(broker, force=True)
    stats = confirmations.stats()
    assert (stats.pending, stats.confirmed, stats.unconfirmed) == (0, 1, 0)


def test_a_batch_is_handed_over_at_most_max_handovers_times(
    caplog: pytest.LogCaptureFixture,
) -> None:
    confirmations, _ = watching(timeout=0.02)
    confirmations.handed("never", CODE, ["x", "y"])
    broker = Broker()
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        assert wait_until(lambda: (confirmations.poll(broker), len(confirmations))[1] == 0, 10)
    assert len(broker.published) == MAX_HANDOVERS - 1
    stats = confirmations.stats()
    assert (stats.handed_again, stats.unconfirmed, stats.pending) == (
        2 * (MAX_HANDOVERS - 1),
        2,
        0,
    )
    assert "never finished by a worker" in caplog.text


def test_a_task_still_queued_is_not_handed_over_while_later_ones_are_unfinished() -> None:
    """First in, first out: until a later task is finished, the workers have not reached it."""
    confirmations, backend = watching(timeout=0.2)
    confirmations.handed("first", CODE, ["a"])
    confirmations.handed("second", CODE, ["b"])
    broker = Broker()
    assert wait_until(lambda: confirmations.stats().pending == 2, 1)
    time.sleep(0.25)  # past the timeout, before twice the timeout
    confirmations.poll(broker, force=True)
    assert broker.published == []  # nothing later finished: probably still queued
    backend.record("second", "SUCCESS")  # the workers are past "first": it was lost
    confirmations.poll(broker, force=True)
    assert [events for _, _, events in broker.published] == [["a"]]


def test_a_task_a_worker_recorded_as_retrying_is_never_handed_over() -> None:
    confirmations, backend = watching(timeout=0.01)
    confirmations.handed("retrying", CODE, ["a"])
    confirmations.handed("later", CODE, ["b"])
    backend.record("retrying", "RETRY")
    backend.record("later", "SUCCESS")
    broker = Broker()
    assert not wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 0.3)
    assert confirmations.stats().pending == 1  # Celery's own retry (and acks_late) owns it


def test_nothing_is_decided_while_the_result_backend_is_down() -> None:
    confirmations, backend = watching(timeout=0.01)
    confirmations.handed("t", CODE, ["x"])
    backend.down = True
    broker = Broker()
    assert not wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 0.3)
    backend.down = False
    assert wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 5)


def test_a_broker_error_keeps_the_batch_for_the_next_round() -> None:
    confirmations, _ = watching(timeout=0.01)
    confirmations.handed("t", CODE, ["x"])
    broker = Broker()
    broker.down = True
    assert not wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 0.2)
    assert len(confirmations) == 1 and confirmations.stats().unconfirmed == 0
    broker.down = False
    assert wait_until(lambda: (confirmations.poll(broker), broker.published)[1] != [], 5)


def test_memory_is_bounded_by_max_pending_events(caplog: pytest.LogCaptureFixture) -> None:
    confirmations, _ = watching(timeout=60, max_pending=5)
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        for i in range(4):
            confirmations.handed(f"t{i}", CODE, ["a", "b"])
    stats = confirmations.stats()
    assert stats.pending <= 5 and stats.unconfirmed == 8 - stats.pending
    assert "no longer watched" in caplog.text


def test_lookups_are_rate_limited() -> None:
    app = App()
    confirmations = Confirmations(app, 30.0, 100)
    assert confirmations.interval == 3.0
    confirmations.handed("t", CODE, ["x"])
    confirmations.poll(Broker())
    confirmations.poll(Broker())
    assert app.backend.lookups <= 1


def test_only_a_json_finished_state_confirms() -> None:
    assert finished(b'{"status": "SUCCESS"}') and finished('{"status": "FAILURE"}')
    for value in (
        None,
        b'{"status": "PENDING"}',
        b'{"status": "RETRY"}',
        b'{"status": "REVOKED"}',
        b"\x80\x04\x95 not json (a pickle is never loaded)",
        b'{"status": 1}',
        b'["SUCCESS"]',
        b"[" * 100_000,
    ):
        assert not finished(value), value


def test_give_up_counts_what_is_left_at_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    confirmations, _ = watching(timeout=60)
    confirmations.handed("t", CODE, ["a", "b", "c"])
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        assert confirmations.give_up() == 3
    assert confirmations.stats().unconfirmed == 3 and "at shutdown" in caplog.text


def test_a_forked_child_watches_nothing_of_its_parents() -> None:
    confirmations, _ = watching()
    confirmations.handed("t", CODE, ["a"])
    confirmations.after_fork()
    assert len(confirmations) == 0 and confirmations.stats().pending == 0


# -- start-up validation ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 4.9, 86_401, float("nan"), True, "30"])
def test_the_timeout_is_bounded(value: object) -> None:
    with pytest.raises(ValueError, match=r"celery_confirm_timeout must be None .* from 5 to 86400"):
        EventsApiConfig(access_token="t", backend="celery", celery_confirm_timeout=value)  # type: ignore[arg-type]


def test_the_timeout_needs_the_celery_backend() -> None:
    with pytest.raises(
        ValueError, match=r"celery_confirm_timeout only applies when .*backend is 'celery'"
    ):
        EventsApiConfig(access_token="t", celery_confirm_timeout=30)


def test_settings_messages_name_the_option_as_written() -> None:
    with pytest.raises(ValueError, match=r"EVENTS_API: CELERY_CONFIRM_TIMEOUT must be None"):
        EventsApiConfig.from_mapping(
            {"ACCESS_TOKEN": "t", "BACKEND": "celery", "CELERY_CONFIRM_TIMEOUT": 1}
        )
    with pytest.raises(
        ValueError, match=r"CELERY_CONFIRM_TIMEOUT only applies when BACKEND is 'celery'"
    ):
        EventsApiConfig.from_mapping({"ACCESS_TOKEN": "t", "CELERY_CONFIRM_TIMEOUT": 30})


def test_the_option_reads_from_settings() -> None:
    config = EventsApiConfig.from_mapping(
        {"ACCESS_TOKEN": "t", "BACKEND": "celery", "CELERY_CONFIRM_TIMEOUT": 30}
    )
    assert config.celery_confirm_timeout == 30.0
    assert EventsApiConfig(access_token="t").celery_confirm_timeout is None


def test_an_app_without_a_result_backend_is_refused() -> None:
    app = Celery("no-results", broker="memory://")
    with pytest.raises(ValueError, match="needs a result backend on the Celery app"):
        tp_celery.CeleryTransport(app=app, confirm_timeout=30)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("result_serializer", "pickle", "needs the Celery app's result_serializer 'json'"),
        ("result_compression", "zlib", "needs the Celery app's result_compression off"),
    ],
)
def test_results_that_are_not_plain_json_are_refused(
    setting: str, value: str, message: str
) -> None:
    app = Celery("pickled", broker="memory://", backend="cache+memory://")
    app.conf.update({setting: value})
    with pytest.raises(ValueError, match=message):
        tp_celery.CeleryTransport(app=app, confirm_timeout=30)


def test_a_backend_without_key_lookups_is_refused() -> None:
    app = App(backend=object())
    with pytest.raises(ValueError, match="needs a key-value result backend"):
        check_backend(app)


def test_without_the_option_nothing_is_watched() -> None:
    app = Celery("plain", broker="memory://")  # no result backend needed
    transport = tp_celery.CeleryTransport(app=app)
    assert transport.confirmations is None and transport.unsettled() == 0
    assert transport.confirm_stats() is None
    transport.poll()  # nothing to do


# -- the whole path, with Celery's in-memory broker and a worker thread --------------------------


@pytest.fixture(scope="module")
def app() -> Iterator[Celery]:
    with memory_celery("tiktok-pixel-confirm") as app:
        yield app


@pytest.fixture(autouse=True)
def worker_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    yield
    tp_celery.configure(None)


def web_config(**changes: Any) -> EventsApiConfig:
    values: dict[str, Any] = {
        "access_token": "web-process-token",
        "backend": "celery",
        "flush_interval": 0.05,
        "celery_confirm_timeout": 5.0,
        "shutdown_timeout": 30.0,
    }
    values.update(changes)
    return EventsApiConfig(**values)


def events(*ids: str) -> list[dict[str, Any]]:
    return [api_event("AddToCart", event_id=i, properties={"value": 1}) for i in ids]


def test_tasks_a_worker_finished_are_confirmed_and_sent_once(
    app: Celery, api: FakeEventsApi
) -> None:
    tp_celery.configure(EventsApiConfig(endpoint=api.url, timeout=2.0))
    # a long timeout: lookups every 5 s, but close() looks up every 0.2 s
    sender = tp_celery.celery_sender(web_config(celery_confirm_timeout=60), app=app)
    for event in events("c1", "c2", "c3"):
        sender.enqueue(CODE, event)
    started = time.monotonic()
    assert sender.close(30)
    assert time.monotonic() - started < 4.0
    transport = sender.transport
    assert isinstance(transport, tp_celery.CeleryTransport)
    stats = transport.confirm_stats()
    assert stats is not None and (stats.confirmed, stats.handed_again, stats.unconfirmed) == (
        3,
        0,
        0,
    )
    sent = sorted(api.event_ids())
    assert sent == ["c1", "c2", "c3"]


def test_a_task_the_broker_lost_is_handed_over_again(app: Celery, api: FakeEventsApi) -> None:
    """The first hand-over "succeeds" but the broker loses the task, as in kombu's window."""
    tp_celery.configure(EventsApiConfig(endpoint=api.url, timeout=2.0))
    sender = tp_celery.celery_sender(web_config(), app=app)
    transport = sender.transport
    assert isinstance(transport, tp_celery.CeleryTransport)
    real = transport._publish
    lost: list[str] = []

    def lose_the_first(pixel_code: str, items: Sequence[str]) -> str:
        if not lost:
            lost.append(str(uuid.uuid4()))  # accepted, then gone: no worker will ever run it
            return lost[0]
        return real(pixel_code, items)

    transport._publish = lose_the_first  # type: ignore[method-assign]
    sender.enqueue(CODE, events("lost-1")[0])
    assert sender.flush(10)
    sender.enqueue(CODE, events("later-2")[0])  # finished first: the workers are past lost-1
    started = time.monotonic()
    assert sender.close(30), "close() waits for the confirmation"
    assert time.monotonic() - started < 10  # handed over after the timeout, not twice it
    stats = transport.confirm_stats()
    assert stats is not None and (stats.handed_again, stats.confirmed, stats.unconfirmed) == (
        1,
        2,
        0,
    )
    assert sorted(api.event_ids()) == ["later-2", "lost-1"]


def test_close_counts_what_no_worker_confirmed_in_time(app: Celery) -> None:
    sender = tp_celery.celery_sender(web_config(), app=app, queue="no-worker-consumes-this")
    sender.enqueue(CODE, events("stuck")[0])
    started = time.monotonic()
    sender.close(0.5)
    assert time.monotonic() - started < 5.0  # bounded by the close timeout, not the confirm one
    transport = sender.transport
    assert isinstance(transport, tp_celery.CeleryTransport)
    stats = transport.confirm_stats()
    assert stats is not None and (stats.unconfirmed, stats.pending) == (1, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_no_confirmations(app: Celery) -> None:
    sender = tp_celery.celery_sender(web_config(), app=app, queue="no-worker-consumes-this")
    sender.enqueue(CODE, events("parent")[0])
    transport = sender.transport
    assert isinstance(transport, tp_celery.CeleryTransport)
    assert wait_until(lambda: transport.unsettled() == 1, 10)
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's to watch
        os._exit(0 if transport.unsettled() == 0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert transport.unsettled() == 1  # the parent still watches its own
    sender.close(0.2)
