"""Run every benchmark module, print a table and write benchmarks/results.json.

``--quick`` is the smoke mode CI runs: few iterations, the same code paths. Each module in
MODULES has ``run(quick: bool) -> list[Result]``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import print_table, write_results

MODULES = (
    "bench_render",
    "bench_scaling",
    "bench_hashing",
    "bench_sizes",
    "bench_flask",
    "bench_starlette",
    "bench_django",
    "bench_events_api",
    "bench_celery",
    "bench_load",
    "bench_privacy",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smoke mode: few iterations")
    parser.add_argument("only", nargs="*", help="run only these modules (e.g. bench_render)")
    args = parser.parse_args()
    results = []
    for name in args.only or MODULES:
        print(f"running {name}{' (quick)' if args.quick else ''}...", file=sys.stderr, flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        results.extend(module.run(args.quick))
    print_table(results)
    write_results(results, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
