"""The Celery backend, with Celery's in-memory broker and a real worker thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish

from tests.conftest import CODE
from tests.events_api.fake_api import TOKEN, FakeEventsApi, Reply
from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.contrib import celery as tp_celery
from tiktok_pixel.events_api import EventsApiConfig, EventsApiMirror, api_event


@pytest.fixture(scope="module")
def app() -> Iterator[Celery]:
    app = Celery("tiktok-pixel-tests", broker="memory://", backend="cache+memory://")
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=False,
        worker_hijack_root_logger=False,
        broker_transport_options={"polling_interval": 0.02},
    )
    assert tp_celery.TASK_NAME in app.tasks  # the shared task binds to every app
    with start_worker(app, perform_ping_check=False, shutdown_timeout=20):
        yield app


@pytest.fixture(autouse=True)
def worker_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIKTOK_ACCESS_TOKEN", TOKEN)
    yield
    tp_celery.configure(None)


def settings_for(api: FakeEventsApi, **changes: Any) -> EventsApiConfig:
    values: dict[str, Any] = {
        "access_token": "web-process-token",
        "endpoint": api.url,
        "backend": "celery",
        "flush_interval": 0.05,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 2.0,
    }
    values.update(changes)
    return EventsApiConfig(**values)


def test_mirror_through_celery_reaches_the_api(app: Celery, api: FakeEventsApi) -> None:
    published: list[Any] = []

    def capture(body: Any = None, **kwargs: Any) -> None:
        published.append(body)

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
    # the worker posts them: wait for both requests
    deadline_events = _wait_for(lambda: len(api.event_ids()) == 3)
    assert deadline_events
    assert sorted(api.event_ids()) == sorted(ids)
    for received in api.received:
        # the worker's token (from its environment), not the web process's; never in a message
        assert received.headers["Access-Token"] == TOKEN
    assert "web-process-token" not in json.dumps(published)
    assert TOKEN not in json.dumps(published)


def test_configure_gives_the_worker_its_token(app: Celery, api: FakeEventsApi) -> None:
    tp_celery.configure(EventsApiConfig(access_token="configured-token"))
    task = app.tasks[tp_celery.TASK_NAME]
    settings = tp_celery.CeleryTransport(settings_for(api)).settings
    result = task.delay(CODE, [api_event("Lead", "l-1")], settings).get(timeout=10, interval=0.02)
    assert result == {"sent": 1, "failed": 0, "retries": 0}
    assert api.received[0].headers["Access-Token"] == "configured-token"


def test_the_task_retries_through_celery(app: Celery, api: FakeEventsApi) -> None:
    api.reply(Reply(status=500, body="down"), Reply(body={"code": 40100, "message": "rate"}))
    task = app.tasks[tp_celery.TASK_NAME]
    settings = tp_celery.CeleryTransport(settings_for(api)).settings
    result = task.delay(CODE, [api_event("Lead", "l-2")], settings).get(timeout=20, interval=0.02)
    assert result == {"sent": 1, "failed": 0, "retries": 2}
    assert api.event_ids() == ["l-2", "l-2", "l-2"]


def test_the_task_does_not_retry_validation_errors(app: Celery, api: FakeEventsApi) -> None:
    api.reply(Reply(body={"code": 40002, "message": "bad value for 198.51.100.1"}))
    task = app.tasks[tp_celery.TASK_NAME]
    settings = tp_celery.CeleryTransport(settings_for(api)).settings
    result = task.delay(CODE, [api_event("Lead", "l-3")], settings).get(timeout=10, interval=0.02)
    assert result["failed"] == 1 and result["code"] == 40002 and result["retries"] == 0
    assert result["message"] == "bad value for [redacted]"
    assert len(api.received) == 1


def test_the_task_gives_up_after_max_retries(app: Celery, api: FakeEventsApi) -> None:
    api.default = Reply(status=503, body={})
    task = app.tasks[tp_celery.TASK_NAME]
    settings = tp_celery.CeleryTransport(settings_for(api, max_retries=2)).settings
    result = task.delay(CODE, [api_event("Lead", "l-4")], settings).get(timeout=20, interval=0.02)
    assert result["failed"] == 1 and result["status"] == 503 and result["retries"] == 2
    assert len(api.received) == 3


def test_a_broker_error_is_retried_by_the_sender(api: FakeEventsApi) -> None:
    class FailingTask:
        calls = 0

        def apply_async(self, **kwargs: Any) -> None:
            FailingTask.calls += 1
            if FailingTask.calls == 1:
                raise ConnectionError("broker down")

    config = settings_for(api)
    transport = tp_celery.CeleryTransport(config)
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
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.01)
    return check()
