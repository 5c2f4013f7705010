"""Identify hashing throughput, with and without phone normalisation, cold and cached."""

from __future__ import annotations

import time

from tiktok_pixel.hashing import _hash_cached, _parse_phone, hash_identity

from .common import Result


def _rate(values: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    for value in values:
        hash_identity(value, default_phone_region="GB")
    return len(values) / (time.perf_counter() - start)


def run(quick: bool) -> list[Result]:
    n = 2_000 if quick else 50_000
    emails = [{"email": f"user{i}@example.com", "external_id": f"u-{i}"} for i in range(n)]
    phones = [{**e, "phone_number": f"07700 9{i % 100000:05d}"} for i, e in enumerate(emails)]
    results = []
    for label, values in (("email + external_id", emails), ("+ phone (phonenumbers)", phones)):
        _hash_cached.cache_clear()
        _parse_phone.cache_clear()
        cold = _rate(values)
        repeated = values[:1000] * (len(values) // 1000)
        _rate(repeated)  # warm the cache
        warm = _rate(repeated)
        results.append(Result(f"hash {label}, unique values", cold, "ids/s"))
        results.append(
            Result(
                f"hash {label}, repeated values",
                warm,
                "ids/s",
                note="values seen before come from an LRU cache",
            )
        )
    return results
