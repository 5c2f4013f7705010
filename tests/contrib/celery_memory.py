"""Celery with its in-memory broker and a real worker thread: the unit tests' app."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from celery import Celery
from celery.contrib.testing.worker import start_worker

from tiktok_pixel.contrib import celery as tp_celery


@contextlib.contextmanager
def memory_celery(name: str) -> Iterator[Celery]:
    """An app on ``memory://`` with an in-memory result backend, JSON only (as the worker
    requires), and one worker thread running until the block ends."""
    app = Celery(name, broker="memory://", backend="cache+memory://")
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
