"""Shared pieces of the benchmarks: timing, the result record, the table and results.json."""

from __future__ import annotations

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
