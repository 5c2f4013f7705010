"""Send Events API batches through Celery, for sites that run more than one process.

With ``backend="celery"`` the web process still never touches the network on the request path:
its background thread batches events and publishes each batch as one ``send_events`` task
(task name ``"tiktok_pixel.send_events"``, routable with Celery's ``task_routes``). A worker then
POSTs the batch to TikTok and retries rate limits, 5xx and timeouts with Celery's own retry
(exponential backoff with jitter, ``max_retries`` from the settings), so a busy or failing TikTok
ties up no worker while it waits.

The access token never goes into a task message: the worker reads it from the environment
variable named by ``access_token_env`` (default ``TIKTOK_ACCESS_TOKEN``), or from a config
passed to :func:`configure` when the worker starts. The batches themselves carry what is sent to
TikTok (hashed identify fields, IP, user agent, URL), so treat the broker like any store of
visitor data.

Needs ``pip install 'tiktok-pixel[celery]'``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from celery import shared_task

from ..events_api.client import EventsApiClient, Outcome, SendResult
from ..events_api.sender import BackgroundSender
from ..events_api.settings import EventsApiConfig

logger = logging.getLogger("tiktok_pixel")

TASK_NAME = "tiktok_pixel.send_events"

_configured: EventsApiConfig | None = None
_clients: dict[tuple[Any, ...], EventsApiClient] = {}
_clients_lock = threading.Lock()


def configure(config: EventsApiConfig | None) -> None:
    """Give the worker a config whose access token the tasks use (None: read the environment).

    Settings other than the token (endpoint, test_event_code, timeouts, retries) come with
    each task from the web process that queued it.
    """
    global _configured
    _configured = config


def _config_for(settings: Mapping[str, Any] | None) -> EventsApiConfig:
    base = _configured
    if not settings:
        return base or EventsApiConfig()
    values = dict(settings)
    if base is not None:
        values["access_token"] = base.access_token
    return EventsApiConfig(**values)


def _client_for(config: EventsApiConfig) -> EventsApiClient:
    """One pooled client per (token, endpoint, timeout, test code), reused across tasks."""
    key = (config.access_token, config.endpoint, config.timeout, config.test_event_code)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = EventsApiClient.from_config(config)
        return client


def retry_delay(retries: int, config: EventsApiConfig, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter, as the in-process sender uses."""
    delay = min(config.backoff_max, config.backoff_base * (2**retries))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, config.backoff_max))
    return delay


@shared_task(bind=True, name=TASK_NAME, ignore_result=False)
def send_events(
    self: Any,
    pixel_code: str,
    events: list[dict[str, Any]],
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """POST one batch for ``pixel_code``; retried through Celery when TikTok says "later".

    Returns ``{"sent": n}`` when TikTok accepted it, otherwise ``{"failed": n, "status",
    "code", "message"}`` (message scrubbed of PII) after logging the failure.
    """
    config = _config_for(settings)
    result = _client_for(config).send(pixel_code, events)
    if result.ok:
        return {"sent": len(events), "failed": 0, "retries": self.request.retries}
    retries = self.request.retries or 0
    if result.retryable and retries < config.max_retries:
        logger.info(
            "TikTok Events API (celery): retrying %d event(s) for pixel %s (%s)",
            len(events),
            pixel_code,
            result.describe(),
        )
        raise self.retry(
            countdown=retry_delay(retries, config, result.retry_after),
            max_retries=config.max_retries,
        )
    logger.warning(
        "TikTok Events API (celery) %s %d event(s) for pixel %s: %s",
        "rejected" if not result.retryable else f"gave up after {retries + 1} attempts on",
        len(events),
        pixel_code,
        result.describe(),
    )
    return {
        "sent": 0,
        "failed": len(events),
        "retries": retries,
        "status": result.status,
        "code": result.code,
        "message": result.message,
    }


class CeleryTransport:
    """A sender transport that publishes each batch as a ``send_events`` task.

    "Sent" here means handed to the broker; a broker error is retried by the background
    sender like a network error. ``app`` picks the Celery app whose task is used (default: the
    current app); ``options`` go to ``apply_async`` (``queue=...``, ``priority=...``).
    """

    def __init__(self, config: EventsApiConfig, *, app: Any = None, **options: Any) -> None:
        self.settings = config.public_settings()
        self.settings["pixel_codes"] = list(config.pixel_codes)
        self.task = app.tasks[TASK_NAME] if app is not None else send_events
        self.options = options

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        try:
            self.task.apply_async(
                args=(pixel_code, list(events), self.settings), retry=False, **self.options
            )
        except Exception as exc:  # kombu/amqp errors differ per broker
            return SendResult(
                Outcome.RETRY, len(events), message=f"broker error ({type(exc).__name__})"
            )
        return SendResult(Outcome.ACCEPTED, len(events))

    def close(self) -> None:
        """Nothing to close: the Celery app owns its connections."""


def celery_sender(config: EventsApiConfig, *, app: Any = None, **options: Any) -> BackgroundSender:
    """A background sender that publishes batches to Celery instead of POSTing them."""
    return BackgroundSender.from_config(config, CeleryTransport(config, app=app, **options))
