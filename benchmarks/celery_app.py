"""The Celery app of the worker processes in :mod:`benchmarks.celery_scale` (and its tests).

It is the worker's own configuration, as a site would write it: the broker, the Events API
endpoint and the access token come from this process's environment, never from a message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from tiktok_pixel.contrib import celery as tp_celery
from tiktok_pixel.events_api import EventsApiConfig

app = Celery(
    "tiktok-pixel-scale",
    broker=os.environ["TP_BROKER_URL"],
    # Where the worker records each task's state (the web side's confirmations read it).
    backend=os.environ.get("TP_RESULT_BACKEND") or None,
)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # A message a dead worker (or a lost connection) held is visible again after this many
    # seconds; the sweep that restores it runs every second (kombu's default: ~100 s).
    broker_transport_options={
        "visibility_timeout": float(os.environ.get("TP_VISIBILITY", "60")),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
)
tp_celery.configure(
    EventsApiConfig(
        access_token=os.environ["TP_WORKER_TOKEN"],
        endpoint=os.environ["TP_ENDPOINT"],
        timeout=10.0,
        max_retries=10,
        backoff_base=0.1,
        backoff_max=2.0,
    )
)


@worker_ready.connect
def _ready(**kwargs: Any) -> None:
    """Tell the harness this worker consumes now (its start-up CPU is then left out)."""
    ready = os.environ.get("TP_READY_FILE")
    if ready:
        Path(ready).write_text(str(os.getpid()))
