"""The Celery backend, with Celery's in-memory broker and a real worker thread (unit tests).

The Redis-backed runs at scale and under faults are in ``test_celery_redis.py``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.signals import before_task_publish

from tests.conftest import CODE, CODE2
from tests.contrib.celery_memory import memory_celery
from tests.events_api.fake_api import TOKEN, FakeEventsApi, Reply
from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.contrib import celery as tp_celery
from tiktok_pixel.events_api import EventsApiConfig, EventsApiMirror, api_event


@pytest.fixture(scope="module")
def app() -> Iterator[Celery]:
    with memory_celery("tiktok-pixel-tests") as app:
        yield app


@pytest.fixture(autouse=True)
def worker_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    yield
    tp_celery.configure(None)


def worker_config(api: FakeEventsApi, **changes: Any) -> EventsApiConfig:
    """The worker's own configuration (what configure() gets where the worker starts)."""
    values: dict[str, Any] = {
        "endpoint": api.url,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 2.0,
    }
    values.update(changes)
    return EventsApiConfig(**values)


def settings_for(api: FakeEventsApi, **changes: Any) -> EventsApiConfig:
    """The web process's configuration: its endpoint and token never reach the worker."""
    values: dict[str, Any] = {
        "access_token": "web-process-token",
        "endpoint": "http://127.0.0.1:9/web-process-endpoint",
        "backend": "celery",
        "flush_interval": 0.05,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 2.0,
    }
    values.update(changes)
    return EventsApiConfig(**values)


def message(*events: dict[str, Any]) -> list[str]:
    """Events as CeleryTransport publishes them: one JSON object each."""
    return [json.dumps(e) for e in events]


def test_mirror_through_celery_reaches_the_api(app: Celery, api: FakeEventsApi) -> None:
    published: list[Any] = []

    def capture(body: Any = None, **kwargs: Any) -> None:
        published.append(body)

    tp_celery.configure(worker_config(api))
    before_task_publish.connect(capture, weak=False)
    try:
        pixel = PixelConfig(pixel_codes=CODE)
        config = settings_for(api, batch_size=2)
        mirror = EventsApiMirror(pixel, config, sender=tp_celery.celery_sender(config, app=app))
        page = PageEvents(pixel)
        ids = [page.track("AddToCart"), page.track("Purchase", value=3, currency="EUR")]
        ids.append(page.track("ViewContent"))
        assert mirror.mirror(page) == 3
        assert mirror.close(timeout=10)
    finally:
        before_task_publish.disconnect(capture)
    assert mirror.stats().sent == 3  # handed to the broker, in two tasks of at most 2
    assert len(published) == 2
    for args, kwargs, _ in published:  # exactly a pixel code and events: no setting, no token
        assert kwargs == {} and len(args) == 2 and args[0] == CODE
        assert all(isinstance(json.loads(e)["event_id"], str) for e in args[1])
    # the worker posts them: wait for both requests
    deadline_events = _wait_for(lambda: len(api.event_ids()) == 3)
    assert deadline_events
    assert sorted(api.event_ids()) == sorted(ids)
    for received in api.received:
        # the worker's token (from its environment), not the web process's; never in a message
        assert received.headers["Access-Token"] == TOKEN
    text = json.dumps(published)
    assert "web-process-token" not in text and TOKEN not in text
    assert "web-process-endpoint" not in text and "access_token_env" not in text


def test_configure_gives_the_worker_its_token(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(worker_config(api, access_token="configured-token"))
    task = app.tasks[tp_celery.TASK_NAME]
    result = task.delay(CODE, message(api_event("Lead", "l-1"))).get(timeout=10, interval=0.02)
    assert result == {"sent": 1, "failed": 0, "retries": 0}
    assert api.received[0].headers["Access-Token"] == "configured-token"


def test_the_task_retries_through_celery(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(worker_config(api))
    api.reply(Reply(status=500, body="down"), Reply(body={"code": 40100, "message": "rate"}))
    task = app.tasks[tp_celery.TASK_NAME]
    result = task.delay(CODE, message(api_event("Lead", "l-2"))).get(timeout=20, interval=0.02)
    assert result == {"sent": 1, "failed": 0, "retries": 2}
    assert api.event_ids() == ["l-2", "l-2", "l-2"]


def test_the_task_does_not_retry_validation_errors(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(worker_config(api))
    api.reply(Reply(body={"code": 40002, "message": "bad value for 198.51.100.1"}))
    task = app.tasks[tp_celery.TASK_NAME]
    result = task.delay(CODE, message(api_event("Lead", "l-3"))).get(timeout=10, interval=0.02)
    assert result["failed"] == 1 and result["code"] == 40002 and result["retries"] == 0
    assert result["message"] == "bad value for [redacted]"
    assert len(api.received) == 1


def test_the_task_gives_up_after_the_workers_max_retries(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(worker_config(api, max_retries=2))
    api.default = Reply(status=503, body={})
    task = app.tasks[tp_celery.TASK_NAME]
    result = task.delay(CODE, message(api_event("Lead", "l-4"))).get(timeout=20, interval=0.02)
    assert result["failed"] == 1 and result["status"] == 503 and result["retries"] == 2
    assert len(api.received) == 3


def test_a_batch_rejected_for_one_event_is_split_into_two_tasks(
    app: Celery, api: FakeEventsApi
) -> None:
    tp_celery.configure(worker_config(api))

    def rule(body: Any) -> Reply | None:
        if any(item["event_id"] == "bad" for item in body["data"]):
            return Reply(body={"code": 40000, "message": "invalid field value"})
        return None

    api.rule = rule
    events = [api_event("Lead", f"ok-{i}") for i in range(5)]
    events.insert(2, api_event("Lead", "bad"))
    task = app.tasks[tp_celery.TASK_NAME]
    result = task.delay(CODE, message(*events)).get(timeout=10, interval=0.02)
    assert result["split"] == 6
    assert _wait_for(lambda: len(api.accepted_ids()) == 5)
    assert sorted(api.accepted_ids()) == [f"ok-{i}" for i in range(5)]
    # the split ends with the bad event tried alone (and not before this test ends)
    assert _wait_for(lambda: any(r.body["data"] == [events[2]] for r in list(api.received)))


class _Evil:
    """Where a hostile message would like the token to go: records what reaches it."""

    PATH = "/evil/collect/"

    def __init__(self, api: FakeEventsApi) -> None:
        self.url = api.server.url_for(self.PATH)
        self.hits: list[dict[str, str]] = []
        api.server.expect_request(self.PATH).respond_with_handler(self._handle)

    def _handle(self, request: Any) -> Any:
        from werkzeug import Response

        self.hits.append(dict(request.headers))
        return Response('{"code": 0}', content_type="application/json")


@pytest.mark.parametrize(
    "extra",
    [
        # what the previous version of the web side sent, pointed elsewhere
        {"args": ({"endpoint": "EVIL", "access_token_env": "DATABASE_PASSWORD"},)},
        {"kwargs": {"settings": {"endpoint": "EVIL", "test_event_code": "X"}}},
        {"kwargs": {"endpoint": "EVIL"}},
        {"kwargs": {"access_token_env": "DATABASE_PASSWORD"}},
        {"kwargs": {"access_token": "attacker-token"}},
        {"kwargs": {"max_retries": 100}},
    ],
)
def test_a_message_naming_any_setting_is_refused(
    app: Celery,
    api: FakeEventsApi,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    extra: dict[str, Any],
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", "db-secret-value")
    tp_celery.configure(worker_config(api))
    spy = _Evil(api)
    evil = spy.url

    def point(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: point(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(point(v) for v in value)
        return evil if value == "EVIL" else value

    args = (CODE, message(api_event("Lead", "l-evil")), *point(extra.get("args", ())))
    kwargs = point(extra.get("kwargs", {}))
    task = app.tasks[tp_celery.TASK_NAME]
    with caplog.at_level(logging.ERROR, "tiktok_pixel"):
        result = task.apply_async(args=args, kwargs=kwargs).get(timeout=10, interval=0.02)
    assert result == {"sent": 0, "failed": 0, "refused": True}
    assert api.received == [] and spy.hits == []  # nothing sent anywhere, with any token
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "refused a task message" in errors[0]
    for secret in (TOKEN, "db-secret-value", "attacker-token", evil, "DATABASE_PASSWORD"):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("pixel_code", "events", "why"),
    [
        ("nope", None, "not a TikTok pixel code"),
        (12, None, "pixel code is not a string"),
        (CODE, "not a list", "not a non-empty list"),
        (CODE, [], "not a non-empty list"),
        (CODE, ["{", 3, {"event": "Lead"}], "no well-formed event"),
        (CODE, [json.dumps({"event": "Lead", "event_id": "x", "event_time": 1})] * 1001, "1000"),
    ],
)
def test_malformed_messages_are_refused(
    app: Celery,
    api: FakeEventsApi,
    caplog: pytest.LogCaptureFixture,
    pixel_code: Any,
    events: Any,
    why: str,
) -> None:
    tp_celery.configure(worker_config(api))
    events = message(api_event("Lead", "l")) if events is None else events
    task = app.tasks[tp_celery.TASK_NAME]
    with caplog.at_level(logging.ERROR, "tiktok_pixel"):
        result = task.delay(pixel_code, events).get(timeout=10, interval=0.02)
    assert result["refused"] is True and api.received == []
    assert why in caplog.text


def test_a_pixel_code_outside_the_workers_list_is_refused(
    app: Celery, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    tp_celery.configure(worker_config(api, pixel_codes=(CODE2,)))
    task = app.tasks[tp_celery.TASK_NAME]
    with caplog.at_level(logging.ERROR, "tiktok_pixel"):
        result = task.delay(CODE, message(api_event("Lead", "l"))).get(timeout=10, interval=0.02)
    assert result["refused"] is True and api.received == []
    assert "not one of the worker's PIXEL_CODES" in caplog.text


def test_one_malformed_event_is_left_out_alone(
    app: Celery, api: FakeEventsApi, caplog: pytest.LogCaptureFixture
) -> None:
    tp_celery.configure(worker_config(api))
    good = api_event("Lead", "good", properties={"note": "mug"})
    events = [*message(good), "not json", json.dumps({"event": "Lead"})]
    task = app.tasks[tp_celery.TASK_NAME]
    with caplog.at_level(logging.WARNING, "tiktok_pixel"):
        result = task.delay(CODE, events).get(timeout=10, interval=0.02)
    assert result["sent"] == 1 and api.accepted_ids() == ["good"]
    assert "2 malformed event(s) in a task message left out" in caplog.text


def test_the_worker_reads_its_token_from_its_environment(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(None)
    assert tp_celery.worker_config().access_token == TOKEN
    assert os.environ["TIKTOK_ACCESS_TOKEN"] == TOKEN


def test_a_broker_error_is_retried_by_the_sender(api: FakeEventsApi) -> None:
    class FailingTask:
        calls = 0

        def apply_async(self, **kwargs: Any) -> None:
            FailingTask.calls += 1
            if FailingTask.calls == 1:
                raise ConnectionError("broker down")

    config = settings_for(api)
    transport = tp_celery.CeleryTransport()
    transport.task = FailingTask()
    sender = tp_celery.BackgroundSender.from_config(config, transport)
    sender.enqueue(CODE, api_event("Lead", "l-5"))
    assert sender.close(timeout=5)
    stats = sender.stats()
    assert (stats.sent, stats.retried, stats.failed) == (1, 1, 0)
    assert FailingTask.calls == 2


def test_make_sender_picks_the_celery_backend(api: FakeEventsApi) -> None:
    mirror = EventsApiMirror(PixelConfig(pixel_codes=CODE), settings_for(api))
    assert isinstance(mirror.sender.transport, tp_celery.CeleryTransport)
    mirror.close(0)


def _wait_for(check: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return check()
