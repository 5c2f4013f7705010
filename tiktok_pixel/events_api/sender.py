"""``BackgroundSender``: gets events to TikTok from a background thread, off the request path.

A request thread only appends to a bounded in-memory queue (a few hundred nanoseconds, no lock
on the fast path, no I/O), so TikTok being slow or down never slows a page. One daemon thread
takes the queue in batches (up to ``batch_size`` events, or whatever arrived within
``flush_interval``), sends each batch through a transport (the HTTP client, or a Celery
publisher), and retries what is worth retrying with exponential backoff and jitter. When the
queue is full, new events are dropped and counted, with one warning per burst. At interpreter
exit (and on :meth:`close`) the queue is flushed within a time limit.

A batch TikTok rejects for its content is split in two and each half sent again, down to single
events, so one bad event cannot take the others with it. After ``os.fork`` the child starts
afresh: its own empty queue, thread, counters and HTTP connections (the parent's stay the
parent's).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .client import EventsApiClient, Outcome, SendResult
from .settings import EventsApiConfig, check_sender_limits

logger = logging.getLogger(__name__)


class Transport(Protocol):
    """Sends one batch of ``data[]`` items for one pixel (``EventsApiClient`` is one).

    Optional methods the sender calls when a transport has them: ``after_fork()`` in a forked
    child; ``poll(force=closing)`` from the sender's thread after each round, to follow up what
    was sent (the Celery transport's confirmations); ``unsettled()``, the events still followed up,
    which ``close()`` waits for within its timeout.
    """

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any]]) -> SendResult: ...

    def close(self) -> None: ...


def _transport_poll(transport: object, closing: bool) -> None:
    """Let a transport follow up what it sent (Celery confirmations); never raises."""
    poll = getattr(transport, "poll", None)
    if callable(poll):
        try:
            poll(force=closing)
        except Exception as exc:  # a transport must not kill the thread
            logger.warning("TikTok Events API: follow-up failed (%s)", type(exc).__name__)


def _transport_unsettled(transport: object) -> int:
    """Events a transport still watches after sending them (0 for HTTP)."""
    unsettled = getattr(transport, "unsettled", None)
    try:
        return int(unsettled()) if callable(unsettled) else 0
    except Exception:
        return 0


def _transport_after_fork(transport: object) -> None:
    """Let a transport drop what it inherited (an ``EventsApiClient``'s connection pool)."""
    reset = getattr(transport, "after_fork", None)
    if callable(reset):
        reset()


@dataclass(frozen=True, slots=True)
class SenderStats:
    """Counters, in events (not requests), since the sender was made.

    ``sent``: accepted by TikTok (``code == 0``) or, for Celery, handed to the broker.
    ``retried``: events sent again after a retryable failure (one per event per retry).
    ``dropped``: never attempted: queue full, sender closed, or left over at shutdown.
    ``failed``: rejected by TikTok, or still failing when retries ran out.
    ``abandoned``: in a request still under way when :meth:`BackgroundSender.close` stopped
    waiting: TikTok may or may not have them (a repeat would be deduplicated by event_id).
    """

    queued: int
    sent: int
    retried: int
    dropped: int
    failed: int
    requests: int
    abandoned: int = 0


class _Throttle:
    """At most one log line per key per ``interval`` seconds; counts what it held back.

    Keys come from TikTok's answers (status and code), so their number is bounded: beyond
    ``max_keys`` the least recently logged key is forgotten (its next failure logs again).
    """

    def __init__(self, interval: float = 30.0, max_keys: int = 64) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self._last: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._held: dict[str, int] = {}

    def allow(self, key: str) -> tuple[bool, int]:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] = self._held.get(key, 0) + 1
            return False, 0
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self.max_keys:
            old, _ = self._last.popitem(last=False)
            self._held.pop(old, None)
        return True, self._held.pop(key, 0)

    def __len__(self) -> int:
        return len(self._last)


def _reset_after_fork(ref: weakref.ReferenceType[BackgroundSender]) -> None:
    sender = ref()
    if sender is not None:
        sender._after_fork()


class BackgroundSender:
    """Queues events and sends them in batches from one daemon thread.

    ``enqueue`` never blocks and never raises. ``flush(timeout)`` waits until everything queued
    so far is handled; ``close(timeout)`` flushes and stops the thread (also run at exit).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        batch_size: int = 1000,
        queue_size: int = 10_000,
        flush_interval: float = 1.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        shutdown_timeout: float = 5.0,
        log_interval: float = 30.0,
        close_transport: bool = True,
        name: str = "tiktok-pixel-events-api",
    ) -> None:
        check_sender_limits(
            batch_size=batch_size,
            queue_size=queue_size,
            flush_interval=flush_interval,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            shutdown_timeout=shutdown_timeout,
            log_interval=log_interval,
        )
        self.transport = transport
        self.batch_size = batch_size
        self.queue_size = queue_size
        self.flush_interval = flush_interval
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.shutdown_timeout = shutdown_timeout
        self.log_interval = log_interval
        self._close_transport = close_transport
        self._name = name
        self._closed = False
        self._init_state()
        atexit.register(self._at_exit)
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _reset_after_fork(ref))

    def _init_state(self) -> None:
        """Everything that belongs to one process: queue, thread, locks, counters."""
        self._random = random.Random()
        self._throttle = _Throttle(self.log_interval)
        self._lock = threading.Lock()  # counters touched by request threads, start-up
        self._idle = threading.Condition()
        self._sent = self._retried = self._dropped = self._failed = self._requests = 0
        self._abandoned = 0
        self._inflight = 0  # events taken from the queue and not yet settled
        self._gave_up = False  # close() stopped waiting: late outcomes are not counted again
        self._deadline: float | None = None
        self._queue: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()  # close() asked the thread to finish
        self._abort = threading.Event()  # close() ran out of time: stop retrying now
        self._busy = False
        self._dropping = False
        self._thread: threading.Thread | None = None

    def _after_fork(self) -> None:
        """In a forked child: start afresh (run by ``os.register_at_fork``).

        The parent's thread does not exist here, its queue and counters are the parent's
        business, its locks may have been held at the fork, and its pooled connections must not
        be shared: a child writing on the parent's socket corrupts both conversations.
        """
        self._init_state()
        _transport_after_fork(self.transport)

    @classmethod
    def from_config(
        cls, config: EventsApiConfig, transport: Transport | None = None
    ) -> BackgroundSender:
        """A sender with the batching, queue and retry settings of ``config``.

        ``transport`` defaults to an :class:`EventsApiClient` for ``config``.
        """
        return cls(
            transport or EventsApiClient.from_config(config),
            batch_size=config.batch_size,
            queue_size=config.queue_size,
            flush_interval=config.flush_interval,
            max_retries=config.max_retries,
            backoff_base=config.backoff_base,
            backoff_max=config.backoff_max,
            shutdown_timeout=config.shutdown_timeout,
            log_interval=config.log_interval,
        )

    def __repr__(self) -> str:
        s = self.stats()
        return f"<BackgroundSender queued={s.queued} sent={s.sent} failed={s.failed}>"

    # -- the request side ---------------------------------------------------------------------

    def enqueue(self, pixel_code: str, event: dict[str, Any]) -> bool:
        """Queue one ``data[]`` item for ``pixel_code``; False if it was dropped."""
        queue = self._queue
        # No lock: deque.append is atomic. Threads racing past the length check can overfill
        # the queue by at most one event each, which keeps it bounded.
        if len(queue) >= self.queue_size or self._closed:
            self._drop(1)
            return False
        queue.append((pixel_code, event))
        if self._thread is None:
            self._start()
        if len(queue) >= self.batch_size:
            self._wake.set()
        return True

    def _drop(self, count: int) -> None:
        with self._lock:
            self._dropped += count
            first = not self._dropping
            self._dropping = True
        if first:
            reason = (
                "the sender is closed"
                if self._closed
                else (f"its queue is full ({self.queue_size} events)")
            )
            logger.warning(
                "TikTok Events API: dropping events because %s; counted in stats().dropped, "
                "one warning per burst",
                reason,
            )

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            thread.start()
            self._thread = thread

    # -- the background thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self._drain()
            _transport_poll(self.transport, self._stop.is_set())
            if self._stop.is_set() and not self._queue and not self._still_watching():
                return

    def _still_watching(self) -> bool:
        """At close: keep following up the transport's unconfirmed work until the deadline."""
        if self._abort.is_set() or not _transport_unsettled(self.transport):
            return False
        deadline = self._deadline
        return deadline is None or time.monotonic() + self.flush_interval < deadline

    def _drain(self) -> None:
        queue = self._queue
        while queue and not self._abort.is_set():
            self._busy = True  # before taking items, so flush() never sees "empty and idle"
            batch: list[Any] = []
            try:
                while len(batch) < self.batch_size:
                    batch.append(queue.popleft())
            except IndexError:
                pass
            with self._lock:
                self._inflight = len(batch)
            groups: dict[str, list[dict[str, Any]]] = {}
            for code, event in batch:
                groups.setdefault(code, []).append(event)
            for code, events in groups.items():
                self._deliver(code, events)
        with self._idle:
            self._busy = False
            if not queue:
                self._dropping = False
            self._idle.notify_all()

    def _send_once(self, pixel_code: str, events: list[dict[str, Any]]) -> SendResult:
        self._requests += 1
        try:
            return self.transport.send(pixel_code, events)
        except Exception as exc:  # a transport must not kill the thread
            return SendResult(Outcome.REJECTED, len(events), message=type(exc).__name__)

    def _settle(self, count: int, counter: str) -> None:
        """Count ``count`` events of the batch in flight as ``sent``/``failed``/``retried``."""
        with self._lock:
            if self._gave_up:  # close() counted them as abandoned already
                return
            setattr(self, counter, getattr(self, counter) + count)
            if counter != "_retried":
                self._inflight -= count

    def _deliver(self, pixel_code: str, events: list[dict[str, Any]]) -> None:
        """Send one pixel's batch; a batch rejected for its content is split in halves."""
        parts = [events]
        while parts:
            part = parts.pop()
            result = self._deliver_part(pixel_code, part)
            if result is not None and result.splittable and not self._abort.is_set():
                middle = len(part) // 2
                logger.info(
                    "TikTok Events API rejected a batch of %d event(s) for pixel %s (%s): "
                    "sending it again in halves to isolate the event(s) at fault",
                    len(part),
                    pixel_code,
                    result.describe(),
                )
                parts.extend((part[middle:], part[:middle]))  # first half goes first
            elif result is not None:
                self._fail(pixel_code, len(part), "rejected", result)

    def _deliver_part(self, pixel_code: str, events: list[dict[str, Any]]) -> SendResult | None:
        """Send with retries; None when settled, else the rejection (not yet counted)."""
        count = len(events)
        attempt = 0
        while True:
            result = self._send_once(pixel_code, events)
            if result.ok:
                self._settle(count, "_sent")
                return None
            if not result.retryable:
                return result
            if attempt >= self.max_retries:
                self._fail(pixel_code, count, f"gave up after {attempt + 1} attempts", result)
                return None
            delay = self._backoff(attempt, result.retry_after)
            deadline = self._deadline
            if deadline is not None and time.monotonic() + delay > deadline:
                self._fail(pixel_code, count, "shutting down, no time left to retry", result)
                return None
            logger.info(
                "TikTok Events API: retrying %d event(s) for pixel %s in %.2fs (%s)",
                count,
                pixel_code,
                delay,
                result.describe(),
            )
            if self._abort.wait(delay):
                self._fail(pixel_code, count, "shut down while waiting to retry", result)
                return None
            attempt += 1
            self._settle(count, "_retried")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        delay = delay / 2 + self._random.uniform(0, delay / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    def _fail(self, pixel_code: str, count: int, why: str, result: SendResult) -> None:
        self._settle(count, "_failed")
        key = f"{why}:{result.status}:{result.code}"
        allowed, held = self._throttle.allow(key)
        if allowed:
            logger.warning(
                "TikTok Events API %s %d event(s) for pixel %s: %s%s",
                "rejected" if why == "rejected" else f"failed ({why}):",
                count,
                pixel_code,
                result.describe(),
                f" ({held} similar failure(s) not logged)" if held else "",
            )

    # -- control ------------------------------------------------------------------------------

    def stats(self) -> SenderStats:
        """A snapshot of the counters."""
        return SenderStats(
            queued=len(self._queue),
            sent=self._sent,
            retried=self._retried,
            dropped=self._dropped,
            failed=self._failed,
            requests=self._requests,
            abandoned=self._abandoned,
        )

    def flush(self, timeout: float | None = None) -> bool:
        """Send what is queued now, without waiting for ``flush_interval``.

        Waits until the queue is empty and the thread idle; False if ``timeout`` passed first.
        """
        if self._thread is None:
            return not self._queue
        end = None if timeout is None else time.monotonic() + timeout
        self._wake.set()
        with self._idle:
            while self._queue or self._busy:
                remaining = None if end is None else end - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(0.05 if remaining is None else min(remaining, 0.05))
                if self._queue and not self._busy:
                    self._wake.set()
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush and stop the thread within ``timeout`` seconds (default ``shutdown_timeout``).

        Retries stop when they would run past the limit. Returns True if nothing was left
        unsent; whatever is still queued at the limit is counted as dropped, and the events of a
        request still under way as abandoned (one warning for both).
        """
        if self._closed:
            return not self._queue
        timeout = self.shutdown_timeout if timeout is None else timeout
        self._deadline = time.monotonic() + timeout
        self._closed = True
        atexit.unregister(self._at_exit)
        thread = self._thread
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
            if thread.is_alive():
                self._abort.set()
                self._wake.set()
                thread.join(min(1.0, self.backoff_max))
        alive = thread is not None and thread.is_alive()
        with self._lock:
            left = len(self._queue)
            self._queue.clear()
            self._dropped += left
            abandoned = self._inflight if alive else 0
            if alive:
                self._gave_up = True
                self._abandoned += abandoned
                self._inflight = 0
        if left or abandoned:
            logger.warning(
                "TikTok Events API: %d queued event(s) not sent and %d event(s) in a request "
                "still under way abandoned at shutdown (timeout %.1fs); counted in "
                "stats().dropped and stats().abandoned",
                left,
                abandoned,
                timeout,
            )
        if self._close_transport and (thread is None or not thread.is_alive()):
            with contextlib.suppress(Exception):  # best effort at shutdown
                self.transport.close()
        return left == 0 and abandoned == 0 and not alive

    def _at_exit(self) -> None:
        self.close()

    def __enter__(self) -> BackgroundSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
