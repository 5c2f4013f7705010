"""Send Events API batches through Celery, for sites that run more than one process.

With ``backend="celery"`` the web process still never touches the network on the request path:
its background thread batches events and publishes each batch as one ``send_events`` task
(task name ``"tiktok_pixel.send_events"``, routable with Celery's ``task_routes``). A worker then
POSTs the batch to TikTok and retries rate limits, 5xx and timeouts with Celery's own retry
(exponential backoff with jitter), so a busy or failing TikTok ties up no worker while it waits.

**The worker trusts only itself.** A task message carries exactly two things: the pixel code and
the events (a list of ``data[]`` items). The endpoint, the access token, the test event code,
the timeouts and the retry limits come from the worker's own configuration: the config given to
:func:`configure` when the worker starts, or else ``EventsApiConfig()`` (token from the
environment variable ``TIKTOK_ACCESS_TOKEN``, TikTok's endpoint). A message that carries
anything else (settings, an endpoint, a token variable name: what an older version sent, or what
someone with write access to the broker would send to steal the token) is refused with a logged
error and nothing is sent. Each event is checked and encoded on its own, so a malformed one is
dropped alone.

**At-least-once.** The task is ``acks_late`` with ``task_reject_on_worker_lost``: a worker killed
mid-batch leaves its message on the broker, another worker runs it again, and TikTok's
deduplication by ``event`` + ``event_id`` (48 hours) makes the repeat harmless. A batch TikTok
rejects for one event's content is split into two new tasks, down to single events.

Needs ``pip install 'tiktok-pixel[celery]'``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from celery import shared_task

from ..config import normalise_pixel_code
from ..events_api.client import EventsApiClient, Outcome, SendResult
from ..events_api.payload import encode_event
from ..events_api.sender import BackgroundSender
from ..events_api.settings import MAX_BATCH_SIZE, EventsApiConfig
from ..events_api.settings import confirm_timeout as confirm_timeout_setting
from .celery_confirm import Confirmations, ConfirmStats

logger = logging.getLogger(__name__)

TASK_NAME = "tiktok_pixel.send_events"

_configured: EventsApiConfig | None = None
_from_environment: EventsApiConfig | None = None
_clients: dict[tuple[Any, ...], EventsApiClient] = {}
_lock = threading.Lock()


def _after_fork() -> None:
    """In a forked child (Celery's prefork pool): a lock held at the fork would never open."""
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def configure(config: EventsApiConfig | None) -> None:
    """Give the worker its configuration: endpoint, token, test code, timeouts, retries.

    Call it where the worker's Celery app is defined. None (the default) means
    ``EventsApiConfig()``: the token from ``TIKTOK_ACCESS_TOKEN``, TikTok's endpoint. Nothing
    in a task message can change any of these.
    """
    global _configured, _from_environment
    with _lock:
        _configured = config
        _from_environment = None


def worker_config() -> EventsApiConfig:
    """The configuration the worker sends with: :func:`configure`'s, or from the environment."""
    global _from_environment
    with _lock:
        if _configured is not None:
            return _configured
        if _from_environment is None:
            _from_environment = EventsApiConfig()
        return _from_environment


def _client_for(config: EventsApiConfig) -> EventsApiClient:
    """One pooled client per configuration, reused across tasks (fork-safe by PID)."""
    key = (config.access_token, config.endpoint, config.timeout, config.test_event_code)
    with _lock:
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


def _refuse(why: str) -> dict[str, Any]:
    logger.error(
        "TikTok Events API (celery): refused a task message: %s. A message carries only a pixel "
        "code and events; the endpoint, token, test code and limits come from the worker's own "
        "configuration (tiktok_pixel.contrib.celery.configure)",
        why,
    )
    return {"sent": 0, "failed": 0, "refused": True}


def _checked_message(
    pixel_code: object, events: object, extra_args: tuple[Any, ...], extra: Mapping[str, Any]
) -> tuple[str, list[bytes]] | str:
    """``(pixel_code, encoded events)`` from a task message, or why it is refused.

    Nothing from the message is quoted in the reason except the names of unexpected keyword
    arguments (never their values: they could hold a token or an environment variable).
    """
    if extra_args or extra:
        names = sorted(str(k)[:40] for k in extra)
        said = f" ({', '.join(names)})" if names else ""
        count = len(extra_args) + len(extra)
        return f"it carries {count} argument(s) besides the pixel code and events{said}"
    if not isinstance(pixel_code, str):
        return "the pixel code is not a string"
    try:
        code = normalise_pixel_code(pixel_code)
    except ValueError:
        return "the pixel code is not a TikTok pixel code"
    allowed = worker_config().pixel_codes
    if allowed and code not in allowed:
        return "the pixel code is not one of the worker's PIXEL_CODES"
    if not isinstance(events, list) or not events:
        return "the events are not a non-empty list"
    if len(events) > MAX_BATCH_SIZE:
        return f"it carries more than {MAX_BATCH_SIZE} events"
    encoded: list[bytes] = []
    malformed = 0
    for item in events:
        if isinstance(item, str):  # what CeleryTransport publishes: one JSON object per event
            try:
                item = json.loads(item)
            except ValueError:
                item = None
        if not isinstance(item, dict) or not _looks_like_event(item):
            malformed += 1
            continue
        encoded.append(encode_event(item))
    if malformed:
        logger.warning(
            "TikTok Events API (celery): %d malformed event(s) in a task message left out",
            malformed,
        )
    if not encoded:
        return "it carries no well-formed event"
    return code, encoded


def _looks_like_event(item: Mapping[str, Any]) -> bool:
    return (
        isinstance(item.get("event"), str)
        and isinstance(item.get("event_id"), str)
        and isinstance(item.get("event_time"), int)
        and not isinstance(item.get("event_time"), bool)
    )


@shared_task(
    bind=True,
    name=TASK_NAME,
    ignore_result=False,
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_events(
    self: Any, pixel_code: Any = None, events: Any = None, *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """POST one batch for ``pixel_code``; retried through Celery when TikTok says "later".

    Returns ``{"sent": n}`` when TikTok accepted it, ``{"failed": n, "status", "code",
    "message"}`` (message scrubbed of PII) after logging a failure, ``{"split": n}`` when a
    rejected batch went out again as two tasks, and ``{"refused": True}`` for a message that
    carries more than a pixel code and events.
    """
    checked = _checked_message(pixel_code, events, args, kwargs)
    if isinstance(checked, str):
        return _refuse(checked)
    code, batch = checked
    config = worker_config()
    result = _client_for(config).send(code, batch)
    retries = self.request.retries or 0
    if result.ok:
        return {"sent": len(batch), "failed": 0, "retries": retries}
    if result.splittable:
        middle = len(batch) // 2
        logger.info(
            "TikTok Events API (celery) rejected a batch of %d event(s) for pixel %s (%s): "
            "sending it again as two tasks to isolate the event(s) at fault",
            len(batch),
            code,
            result.describe(),
        )
        for half in (batch[:middle], batch[middle:]):
            self.apply_async(args=(code, [e.decode("utf-8") for e in half]))
        return {"sent": 0, "failed": 0, "split": len(batch), "retries": retries}
    if result.retryable and retries < config.max_retries:
        logger.info(
            "TikTok Events API (celery): retrying %d event(s) for pixel %s (%s)",
            len(batch),
            code,
            result.describe(),
        )
        raise self.retry(
            countdown=retry_delay(retries, config, result.retry_after),
            max_retries=config.max_retries,
        )
    logger.warning(
        "TikTok Events API (celery) %s %d event(s) for pixel %s: %s",
        "rejected" if not result.retryable else f"gave up after {retries + 1} attempts on",
        len(batch),
        code,
        result.describe(),
    )
    return {
        "sent": 0,
        "failed": len(batch),
        "retries": retries,
        "status": result.status,
        "code": result.code,
        "message": result.message,
    }


class CeleryTransport:
    """A sender transport that publishes each batch as a ``send_events`` task.

    The message is ``(pixel_code, [event JSON, ...])``: each event encoded on its own (so a bad
    value in one cannot fail the others) and nothing else, no setting and no token. "Sent" here
    means handed to the broker; a broker error is retried by the background sender like a
    network error. ``app`` picks the Celery app whose task is used (default: the current app);
    ``options`` go to ``apply_async`` (``queue=...``, ``priority=...``).

    ``confirm_timeout`` (seconds) turns on confirmations: each task is remembered until a worker
    has finished it (its state in the app's result backend), and handed over again when none
    has within that time (see :mod:`tiktok_pixel.contrib.celery_confirm`); at most
    ``max_pending`` events are remembered.
    """

    def __init__(
        self,
        *,
        app: Any = None,
        confirm_timeout: float | None = None,
        max_pending: int = 10_000,
        **options: Any,
    ) -> None:
        self.task = app.tasks[TASK_NAME] if app is not None else send_events
        self.options = options
        self.confirmations: Confirmations | None = None
        if confirm_timeout is not None:
            self.confirmations = Confirmations(
                app if app is not None else self.task.app,
                confirm_timeout_setting(confirm_timeout),
                max_pending,
            )

    def __repr__(self) -> str:
        return f"<CeleryTransport {TASK_NAME}>"

    def _publish(self, pixel_code: str, items: Sequence[str]) -> str:
        result = self.task.apply_async(args=(pixel_code, list(items)), retry=False, **self.options)
        return str(getattr(result, "id", None) or "")

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any] | bytes]) -> SendResult:
        try:
            items = [
                (e if isinstance(e, bytes) else encode_event(e)).decode("utf-8") for e in events
            ]
        except TypeError as exc:
            return SendResult(Outcome.REJECTED, len(events), message=f"cannot encode: {exc}")
        try:
            task_id = self._publish(pixel_code, items)
        except Exception as exc:  # kombu/redis errors differ per broker
            return SendResult(
                Outcome.RETRY, len(events), message=f"broker error ({type(exc).__name__})"
            )
        if self.confirmations is not None and task_id:
            self.confirmations.handed(task_id, pixel_code, items)
        return SendResult(Outcome.ACCEPTED, len(events))

    def poll(self, *, force: bool = False) -> None:
        """Run by the sender's thread: follow up the confirmations (nothing when they are off)."""
        if self.confirmations is not None:
            self.confirmations.poll(self._publish, force=force)

    def unsettled(self) -> int:
        """Events handed over and not yet confirmed (0 when confirmations are off)."""
        return len(self.confirmations) if self.confirmations is not None else 0

    def confirm_stats(self) -> ConfirmStats | None:
        """The confirmation counters, or None when confirmations are off."""
        return self.confirmations.stats() if self.confirmations is not None else None

    def after_fork(self) -> None:
        if self.confirmations is not None:
            self.confirmations.after_fork()

    def close(self) -> None:
        """Forget what is still unconfirmed (counted); the Celery app owns its connections."""
        if self.confirmations is not None:
            self.confirmations.give_up()


def celery_sender(config: EventsApiConfig, *, app: Any = None, **options: Any) -> BackgroundSender:
    """A background sender that publishes batches to Celery instead of POSTing them.

    Only ``config``'s batching, queue, retry-the-broker and ``celery_confirm_timeout`` settings
    are used here; what the worker does with a batch is set by the worker's own configuration.
    """
    transport = CeleryTransport(
        app=app,
        confirm_timeout=config.celery_confirm_timeout,
        max_pending=config.queue_size,
        **options,
    )
    return BackgroundSender.from_config(config, transport)
