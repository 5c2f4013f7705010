"""Confirmations: the web process keeps each batch it handed to Celery until a worker finished it.

Why: kombu's Redis transport takes a message off the queue (``BRPOP``) and only then records it
as unacknowledged (a second command). A task being handed to a worker at the instant Redis dies
is in neither place, so ``acks_late`` cannot bring it back. With ``celery_confirm_timeout`` set,
the sender remembers every task it published (task id, pixel code, events) and looks up the
task's state in the Celery app's result backend, where the worker records it. A task in a
finished state (``SUCCESS`` or ``FAILURE``) is forgotten. One for which no worker has recorded
any state after the timeout is presumed lost once a task this process published after it has
been finished (the queue is first in, first out, so the workers are past it) or twice the
timeout has passed, and is handed over again as a new task (TikTok deduplicates the repeat by
``event_id``). A task a worker recorded as retrying is Celery's to finish.

Trust: the web process reads only the states of task ids it generated itself, as JSON; it never
runs anything a result says, and nothing read from the backend reaches a log line. Bounded: at
most ``max_pending`` events are remembered (the oldest are forgotten beyond that, and counted),
each batch is handed over at most :data:`MAX_HANDOVERS` times, and the lookups run at most once
per :func:`check_interval`.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from celery.backends.base import KeyValueStoreBackend

logger = logging.getLogger(__name__)

#: How many times one batch is handed to the broker in all (the first time included). Each
#: repeat is a new task; a bound keeps a long queue (tasks waiting longer than the timeout)
#: from being multiplied without end.
MAX_HANDOVERS = 3
#: Seconds between two rounds of lookups while the sender is closing.
CLOSING_GAP = 0.2
#: Task ids looked up per result-backend round trip.
LOOKUP_CHUNK = 500
#: States a worker records once the task will not run again (Celery's ``READY_STATES`` but
#: ``REVOKED``, which a worker records for a task it did not run).
FINISHED = frozenset({"SUCCESS", "FAILURE"})

#: Publishes ``(pixel_code, events)`` as a new task and returns its id (raises on broker errors).
Publish = Callable[[str, Sequence[str]], str]


def check_interval(timeout: float) -> float:
    """Seconds between two rounds of lookups: a tenth of the timeout, from 0.5 s to 5 s."""
    return min(5.0, max(0.5, timeout / 10))


@dataclass(frozen=True, slots=True)
class ConfirmStats:
    """Counters, in events, of the confirmation path since the transport was made.

    ``pending``: handed over, not yet confirmed. ``confirmed``: a worker finished their task.
    ``handed_again``: handed over again because no worker had finished them within the timeout.
    ``unconfirmed``: forgotten without a confirmation (over ``max_pending``, handed over
    :data:`MAX_HANDOVERS` times, or still pending at shutdown): probably on the broker still,
    but no longer watched.
    """

    pending: int
    confirmed: int
    handed_again: int
    unconfirmed: int


@dataclass(slots=True)
class _Handed:
    pixel_code: str
    events: Sequence[str]
    at: float
    handovers: int
    seq: int  # publication order in this process


def check_backend(app: Any) -> Any:
    """The app's result backend if it can confirm tasks, else ``ValueError`` saying why."""
    conf = app.conf
    if not conf.result_backend:
        raise ValueError(
            "events API option celery_confirm_timeout needs a result backend on the Celery app "
            "(its result_backend setting, e.g. the Redis broker's URL with another database), "
            "where workers record each task's state; this app has none"
        )
    if conf.result_serializer != "json":
        raise ValueError(
            "events API option celery_confirm_timeout needs the Celery app's result_serializer "
            "'json' (task states are read as JSON, never unpickled), "
            f"not {conf.result_serializer!r}"
        )
    if conf.result_compression:
        raise ValueError(
            "events API option celery_confirm_timeout needs the Celery app's result_compression "
            f"off (task states are read as plain JSON), not {conf.result_compression!r}"
        )
    backend = app.backend
    mget = getattr(type(backend), "mget", None)
    if (
        not callable(mget)
        or mget is KeyValueStoreBackend.mget  # declared, not implemented
        or not callable(getattr(backend, "get_key_for_task", None))
    ):
        raise ValueError(
            "events API option celery_confirm_timeout needs a key-value result backend (Redis, "
            f"Valkey, Memcached, ...), not {type(backend).__name__}"
        )
    return backend


def finished(value: object) -> bool:
    """True if a result-backend value is a JSON task state that will not change any more."""
    return state(value) in FINISHED


def state(value: object) -> str | None:
    """The ``status`` of a result-backend value read as JSON; None when there is none.

    A value that is not a JSON object with a string status (pickled, compressed, garbage)
    counts as "some state": a worker wrote it, so the task was not lost on its way.
    """
    if value is None:
        return None
    try:
        meta = json.loads(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, RecursionError):
        return "UNREADABLE"
    status = meta.get("status") if isinstance(meta, dict) else None
    return status if isinstance(status, str) else "UNREADABLE"


class Confirmations:
    """The batches one process handed to Celery and no worker has finished yet.

    Used only from the sender's thread (and ``stats()`` from anywhere).
    """

    def __init__(self, app: Any, timeout: float, max_pending: int) -> None:
        self.backend = check_backend(app)
        self.app = app
        self.timeout = timeout
        self.max_pending = max_pending
        self.interval = check_interval(timeout)
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._pending: collections.OrderedDict[str, _Handed] = collections.OrderedDict()
        self._events = 0
        self._confirmed = self._again = self._unconfirmed = 0
        self._last_check = -math.inf
        self._lookup_failing = False
        self._seq = 0
        self._newest_finished = -1  # seq of the latest-published task a worker finished

    def after_fork(self) -> None:
        """In a forked child: the parent's tasks are the parent's to watch."""
        self._reset()

    def stats(self) -> ConfirmStats:
        return ConfirmStats(self._events, self._confirmed, self._again, self._unconfirmed)

    def __len__(self) -> int:
        return len(self._pending)

    def handed(
        self, task_id: str, pixel_code: str, events: Sequence[str], handovers: int = 1
    ) -> None:
        """Remember a task just published; beyond ``max_pending`` events the oldest go."""
        forgotten = 0
        with self._lock:
            self._seq += 1
            self._pending[task_id] = _Handed(
                pixel_code, events, time.monotonic(), handovers, self._seq
            )
            self._events += len(events)
            while self._events > self.max_pending and len(self._pending) > 1:
                _, old = self._pending.popitem(last=False)
                self._events -= len(old.events)
                forgotten += len(old.events)
            self._unconfirmed += forgotten
        if forgotten:
            logger.warning(
                "TikTok Events API (celery): %d event(s) handed to the broker no longer watched "
                "for a confirmation: more than %d are pending (workers slow or not recording "
                "task states?); counted as unconfirmed",
                forgotten,
                self.max_pending,
            )

    def poll(self, publish: Publish, *, force: bool = False) -> None:
        """Look up due tasks' states; hand over again those presumed lost.

        ``force`` (at shutdown): look up every pending task, at most every
        :data:`CLOSING_GAP` seconds, so ``close()`` does not wait a whole interval.
        """
        now = time.monotonic()
        gap = min(CLOSING_GAP, self.interval) if force else self.interval
        if not self._pending or now < self._last_check + gap:
            return
        self._last_check = now
        with self._lock:
            ids = [tid for tid, h in self._pending.items() if now - h.at >= self.interval or force]
        done: set[str] = set()
        taken: set[str] = set()  # a worker recorded a state (started, retrying): not lost
        try:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                keys = [self.backend.get_key_for_task(t) for t in chunk]
                values = self.backend.mget(keys)
                if isinstance(values, Mapping):  # Memcached answers by key
                    values = [values.get(k) for k in keys]
                for task_id, value in zip(chunk, values, strict=False):
                    status = state(value)
                    if status in FINISHED:
                        done.add(task_id)
                    elif status is not None:
                        taken.add(task_id)
        except Exception as exc:  # the backend is down: decide nothing this round
            if not self._lookup_failing:
                logger.warning(
                    "TikTok Events API (celery): cannot read task states from the result backend "
                    "(%s); batches stay pending until it answers",
                    type(exc).__name__,
                )
            self._lookup_failing = True
            return
        self._lookup_failing = False
        overdue: list[tuple[str, _Handed]] = []
        with self._lock:
            for tid in done:
                handed = self._pending.pop(tid, None)
                if handed is not None:
                    self._events -= len(handed.events)
                    self._confirmed += len(handed.events)
                    self._newest_finished = max(self._newest_finished, handed.seq)
            for tid in ids:
                handed = self._pending.get(tid)
                if handed is not None and tid not in taken and self._lost(handed, now):
                    overdue.append((tid, handed))
        for tid, handed in overdue:
            self._again_or_forget(tid, handed, publish)

    def _lost(self, handed: _Handed, now: float) -> bool:
        """Presumed lost: no worker recorded a state for it within the timeout, and either a
        task this process published after it was finished already (the queue is first in,
        first out, so the workers are past it) or twice the timeout has passed."""
        age = now - handed.at
        if age < self.timeout:
            return False
        return handed.seq < self._newest_finished or age >= 2 * self.timeout

    def _again_or_forget(self, task_id: str, handed: _Handed, publish: Publish) -> None:
        count = len(handed.events)
        if handed.handovers >= MAX_HANDOVERS:
            with self._lock:
                if self._pending.pop(task_id, None) is not None:
                    self._events -= count
                    self._unconfirmed += count
            logger.warning(
                "TikTok Events API (celery): %d event(s) for pixel %s handed to the broker %d "
                "times and never finished by a worker within %gs (do the workers record task "
                "states, as JSON, in the same result backend?); no longer watched (counted as "
                "unconfirmed)",
                count,
                handed.pixel_code,
                handed.handovers,
                self.timeout,
            )
            return
        try:
            new_id = publish(handed.pixel_code, handed.events)
        except Exception as exc:  # broker down: try again next round
            logger.info(
                "TikTok Events API (celery): could not hand %d unconfirmed event(s) over again "
                "(%s); will retry",
                count,
                type(exc).__name__,
            )
            return
        logger.info(
            "TikTok Events API (celery): %d event(s) for pixel %s not finished by a worker "
            "within %gs: handed over again (TikTok deduplicates by event_id)",
            count,
            handed.pixel_code,
            self.timeout,
        )
        with self._lock:
            if self._pending.pop(task_id, None) is not None:
                self._events -= count
            self._again += count
        self.handed(new_id, handed.pixel_code, handed.events, handed.handovers + 1)

    def give_up(self) -> int:
        """At shutdown: forget what is still pending; returns how many events that was."""
        with self._lock:
            left = self._events
            self._pending.clear()
            self._events = 0
            self._unconfirmed += left
        if left:
            logger.warning(
                "TikTok Events API (celery): %d event(s) handed to the broker were not yet "
                "confirmed by a worker at shutdown (probably still queued); counted as "
                "unconfirmed",
                left,
            )
        return left
