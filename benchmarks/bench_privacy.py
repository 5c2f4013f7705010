"""What the privacy guard costs a typical ``track`` (3 contents, 6 params): paired, interleaved.

Each round times the same batch of ``track`` calls twice in this process with
``time.thread_time()``: once with the guard and once without, in alternating order. ``track``
coerces and guards its params in one walk (``tiktok_pixel.collector.coerce_and_guard``); without
the guard that step is the coercion alone (``coerce_params`` noting nothing for the guard), so
the difference is exactly the guard's work: its notes during the walk and its checks after. The
figures are the min and median over rounds of the per-call difference and of the ratio. The
calls carry no personal data (the common case the guard must keep cheap); each has a fresh
order id, as a shop's purchases do, so one string per call is always new to the guard.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from tiktok_pixel import PageEvents, PixelConfig, collector
from tiktok_pixel.params import Problems, coerce_params
from tiktok_pixel.pii_policy import coerce_and_guard

from .common import Result

CODE = "C3MV4QR3G487IS97GFI0"
BUDGET_US = 2.0


_NOTHING: Mapping[str, Any] = MappingProxyType({})
#: The step of ``PageEvents.track`` the benchmark switches (an attribute of ``collector``).
_STEP = "coerce_and_guard"


def _off(
    event: str, raw: Mapping[str, object], problems: Problems, *args: Any, **kwargs: Any
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    # the coercion alone, returning the same shared empty identity as the guard's clean path
    return coerce_params(raw, problems), _NOTHING


def _batch(page: PageEvents, start: int, count: int) -> float:
    track = page.track
    begin = time.thread_time()
    for n in range(start, start + count):
        track(
            "Purchase",
            contents=[
                {
                    "content_id": "SKU-10442",
                    "content_name": "Blue mug 350 ml",
                    "price": 12.5,
                    "quantity": 2,
                },
                {
                    "content_id": "SKU-20871",
                    "content_name": "iPhone 15 case",
                    "price": 19.99,
                    "quantity": 1,
                },
                {
                    "content_id": "SKU-30018",
                    "content_name": "Tea towel",
                    "price": 6.0,
                    "quantity": 3,
                },
            ],
            value=63.0,
            currency="EUR",
            content_type="product",
            order_id=f"ORD-2025-{n:07d}",
            description="Spring order, 3 items",
            event_id=f"evt-{n}",
        )
    elapsed = time.thread_time() - begin
    page.clear()
    return elapsed


def measure(
    rounds: int, per_round: int
) -> tuple[list[float], list[float], dict[bool, list[float]]]:
    """Per-round per-call differences (µs) and ratios (guard on / off), and each side's times."""
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    diffs: list[float] = []
    ratios: list[float] = []
    times: dict[bool, list[float]] = {True: [], False: []}
    counter = 0
    _batch(page, 0, per_round)  # warm up caches and code paths
    for index in range(rounds):
        timings = {}
        for guard in (True, False) if index % 2 == 0 else (False, True):
            setattr(collector, _STEP, coerce_and_guard if guard else _off)
            try:
                timings[guard] = _batch(page, counter, per_round)
            finally:
                setattr(collector, _STEP, coerce_and_guard)
            counter += per_round
            times[guard].append(timings[guard] / per_round * 1e6)
        diffs.append((timings[True] - timings[False]) / per_round * 1e6)
        ratios.append(timings[True] / timings[False])
    return diffs, ratios, times


def run(quick: bool) -> list[Result]:
    diffs, ratios, times = measure(rounds=10 if quick else 400, per_round=50 if quick else 100)
    median = statistics.median(diffs)
    best_on, best_off = min(times[True]), min(times[False])
    return [
        Result(
            "privacy guard per typical track, median",
            median,
            "µs",
            target=f"<= {BUDGET_US:g} µs",
            ok=median <= BUDGET_US,
            note=(
                f"min {min(diffs):.2f} µs; ratio on/off min {min(ratios):.3f}, median "
                f"{statistics.median(ratios):.3f} ({len(diffs)} paired rounds, thread_time)"
            ),
        ),
        Result(
            "privacy guard per typical track, least-disturbed rounds",
            best_on - best_off,
            "µs",
            target=f"<= {BUDGET_US:g} µs",
            ok=best_on - best_off <= BUDGET_US,
            note=(
                f"fastest round with the guard {best_on:.2f} µs/call, without {best_off:.2f} "
                f"µs/call (ratio {best_on / best_off:.3f})"
            ),
        ),
    ]
