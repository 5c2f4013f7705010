"""Celery on a real Redis broker: 4 web processes, 2 worker processes, events counted at a stand-in.

The web processes mirror AddToCart pages through ``backend="celery"`` (each batch one task on
Redis); the two ``celery worker`` processes (solo pool, one process each) POST them to a local
stand-in for the Events API that counts every ``event_id``. Reported: events lost and
duplicated (both must be 0), and throughput per worker CPU-second (user + system time of the
worker processes while the events flow, their start-up left out). A second, smaller run turns
on confirmations (``CELERY_CONFIRM_TIMEOUT``: the workers record task states in Redis database
1, the web processes look them up): the same figures, plus events handed over again (0 when
nothing goes wrong). Needs ``redis-server``.
"""

from __future__ import annotations

from .celery_scale import redis_server_path, run_scale
from .common import Result


def run(quick: bool) -> list[Result]:
    if redis_server_path() is None:
        raise RuntimeError("bench_celery needs redis-server (Debian package redis-server)")
    events = 2_000 if quick else 100_000
    report = run_scale(events, webs=4, workers=2)
    note = (
        f"{events:,} events from 4 web processes, 2 worker processes, Redis on 127.0.0.1; "
        f"{report.received:,} events received in {report.requests:,} requests, "
        f"{report.seconds:.1f} s"
    )
    confirm_events = 1_000 if quick else 20_000
    confirmed = run_scale(confirm_events, webs=4, workers=2, confirm=60.0)
    again = sum(s.get("handed_again", 0) for s in confirmed.web_stats)
    unconfirmed = sum(s.get("unconfirmed", 0) for s in confirmed.web_stats)
    confirm_note = (
        f"{confirm_events:,} events, CELERY_CONFIRM_TIMEOUT=60: {confirmed.duplicated} "
        f"duplicated, {again} handed over again, {unconfirmed} unconfirmed, "
        f"{confirmed.seconds:.1f} s"
    )
    return [
        Result("celery+redis: events lost", report.lost, "events", "0", report.lost == 0, note),
        Result(
            "celery+redis: events duplicated",
            report.duplicated,
            "events",
            "0",
            report.duplicated == 0,
            "by event_id at the stand-in",
        ),
        Result(
            "celery+redis: events per worker CPU-second",
            report.per_worker_cpu_second,
            "events/s",
            note=f"{report.worker_cpu:.2f} CPU-seconds in the 2 worker processes",
        ),
        Result(
            "celery+redis, confirmations: events lost",
            confirmed.lost,
            "events",
            "0",
            confirmed.lost == 0 and confirmed.duplicated == 0 and unconfirmed == 0,
            confirm_note,
        ),
        Result(
            "celery+redis, confirmations: events per worker CPU-second",
            confirmed.per_worker_cpu_second,
            "events/s",
            note=f"{confirmed.worker_cpu:.2f} CPU-seconds in the 2 worker processes",
        ),
    ]
