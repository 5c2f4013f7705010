"""Shared pieces of the benchmarks: timing, the result record, the table and results.json."""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).parent / "results.json"


@dataclass
class Result:
    """One measured figure; ``target`` is a human-readable goal and ``ok`` whether it is met."""

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""


def median_us(func: Callable[[], Any], *, repeat: int, number: int) -> float:
    """Median over ``repeat`` rounds of the mean time of ``number`` calls, in microseconds."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        rounds.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(rounds)


def print_table(results: list[Result]) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'benchmark':<{width}}  {'value':>12}  {'unit':<8}  {'target':<16}  status")
    print("-" * (width + 50))
    for r in results:
        status = "" if r.ok is None else ("ok" if r.ok else "MISSED")
        print(f"{r.name:<{width}}  {r.value:>12.2f}  {r.unit:<8}  {r.target:<16}  {status}")
        if r.note:
            print(f"{'':<{width}}    {r.note}")


def write_results(results: list[Result], *, quick: bool) -> None:
    data = {"quick": quick, "results": [asdict(r) for r in results]}
    RESULTS_PATH.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def paired_us(
    variants: dict[str, Callable[[], Any]], *, rounds: int, number: int
) -> dict[str, list[float]]:
    """CPU time per call of each variant (``time.thread_time``), in microseconds, per round.

    The variants are interleaved call by call in one process (A B C, then B C A, ...), with the
    garbage collector paused inside a round as ``timeit`` does, so load on a shared machine,
    drift and caches hit them alike; compare them round by round (:func:`ratio_stats`), never
    as two separate runs.
    """
    names = list(variants)
    calls = [variants[name] for name in names]
    for func in calls:  # warm up every variant before measuring any
        for _ in range(max(1, number // 4)):
            func()
    samples: dict[str, list[float]] = {name: [] for name in names}
    clock = time.thread_time
    for _ in range(rounds):
        spent = [0.0] * len(names)
        order = list(range(len(names)))
        gc.collect()
        gc.disable()
        try:
            for step in range(number):
                shift = step % len(order)
                for index in order[shift:] + order[:shift]:
                    start = clock()
                    calls[index]()
                    spent[index] += clock() - start
        finally:
            gc.enable()
        for index, name in enumerate(names):
            samples[name].append(spent[index] / number * 1e6)
    return samples


def ratio_stats(values: list[float]) -> tuple[float, float]:
    """Min and median of per-round figures."""
    return min(values), statistics.median(values)


def lifecycle_figures(
    framework: str,
    times: dict[str, list[float]],
    carried: dict[str, list[float]],
    *,
    quiet: bool,
) -> list[Result]:
    """The lifecycle's cost targets from paired runs of ``plain``/``floor``/``ours``/``core``
    requests and of ``without``/``with`` a carried call and ``floor without``/``floor with`` one
    carried by hand (microseconds per request, per round).

    ``core`` is the lifecycle's own work called from the view, with no framework adapter: it
    tells the adapter's cost (hooks, the template tag, the request lookup) from the core's.
    """
    plain, floor, ours, core = times["plain"], times["floor"], times["ours"], times["core"]
    ratios = [(o - p) / (f - p) for p, f, o in zip(plain, floor, ours, strict=True)]
    low, mid = ratio_stats(ratios)
    core_low, core_mid = ratio_stats(
        [(c - p) / (f - p) for p, f, c in zip(plain, floor, core, strict=True)]
    )
    floor_added = statistics.median(f - p for p, f in zip(plain, floor, strict=True))
    ours_added = statistics.median(o - p for p, o in zip(plain, ours, strict=True))
    core_added = statistics.median(c - p for p, c in zip(plain, core, strict=True))
    extra = [w - o for o, w in zip(carried["without"], carried["with"], strict=True)]
    extra_low, extra_mid = ratio_stats(extra)
    by_hand = [w - o for o, w in zip(carried["floor without"], carried["floor with"], strict=True)]
    hand_low, hand_mid = ratio_stats([e / h for e, h in zip(extra, by_hand, strict=True)])
    base = statistics.median(carried["without"])
    rounds = len(ratios)
    return [
        Result(
            f"{framework} lifecycle: one track + tag, ratio to the floor's added cost",
            mid,
            "x",
            "<= 1.3",
            mid <= 1.3,
            note=f"min {low:.2f}x; added per request: ours {ours_added:.1f} us, hand-written "
            f"floor {floor_added:.1f} us (CPU time, {rounds} paired rounds)",
        ),
        Result(
            f"{framework} lifecycle: the core alone (called from the view), ratio to the floor",
            core_mid,
            "x",
            note=f"min {core_low:.2f}x; added per request: {core_added:.1f} us; ours minus this is "
            "the adapter (hooks, template tag, request lookup)",
        ),
        Result(
            f"{framework} lifecycle: GET rendering a carried call, extra over the same GET",
            extra_mid,
            "us",
            "<= 30",
            extra_mid <= 30,
            note=f"min {extra_low:.1f} us, {extra_mid / base * 100:.1f}% of the GET without it "
            f"({base:.0f} us); both GETs send the same session cookie, one also the carry cookie "
            "holding one call",
        ),
        Result(
            f"{framework} lifecycle: GET rendering a carried call, ratio to a hand-written carry",
            hand_mid,
            "x",
            note=f"min {hand_low:.2f}x; by hand: {statistics.median(by_hand):.1f} us extra (the "
            "framework's signing of a cookie holding the call, its deletion, Vary: Cookie, "
            "Cache-Control: private)",
        ),
        Result(
            f"{framework} lifecycle: no session cookie and no Vary: Cookie when nothing is carried",
            float(quiet),
            "bool",
            "1",
            quiet,
        ),
    ]


@dataclass(frozen=True)
class Paired:
    """Two variants timed in turn, round by round, in one process: per-call CPU microseconds
    (median of the rounds) and the per-round ratio ``a / b`` (min and median)."""

    a_us: float
    b_us: float
    ratio_min: float
    ratio_median: float


def cpu_us(func: Callable[[], Any], number: int) -> float:
    """Mean thread CPU time of ``number`` calls of ``func``, in microseconds."""
    start = time.thread_time()
    for _ in range(number):
        func()
    return (time.thread_time() - start) / number * 1e6


def paired(a: Callable[[], Any], b: Callable[[], Any], *, rounds: int, number: int) -> Paired:
    """Time ``a`` and ``b`` interleaved (A B B A …, so drift hits both alike) with thread CPU
    time; a noisy shared machine then moves both sides of each ratio together."""
    a(), b()  # warm caches and lazy imports outside the measurement
    a_times: list[float] = []
    b_times: list[float] = []
    for index in range(rounds):
        if index % 2:
            b_times.append(cpu_us(b, number))
            a_times.append(cpu_us(a, number))
        else:
            a_times.append(cpu_us(a, number))
            b_times.append(cpu_us(b, number))
    ratios = [x / y for x, y in zip(a_times, b_times, strict=True) if y > 0]
    return Paired(
        statistics.median(a_times),
        statistics.median(b_times),
        min(ratios),
        statistics.median(ratios),
    )
