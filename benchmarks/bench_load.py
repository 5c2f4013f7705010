"""The demo shop under load: waitress on 127.0.0.1, 32 users at once, 20,000 requests.

Targets: no errors, every request answered, no raw PII and no other user's identity in any
response, every order and account page identifying its own user. Figures: requests/s, p50/p95
latency as the clients see it, and the pixel's share of the server's time per request. See
``benchmarks/load.py`` for how the run is bounded and what is checked.
"""

from __future__ import annotations

from .common import Result
from .load import run_load

FULL = (20_000, 32)
QUICK = (600, 8)


def run(quick: bool) -> list[Result]:
    requests, clients = QUICK if quick else FULL
    report = run_load(requests, clients, deadline_s=120 if quick else 600)
    setup = f"{clients} clients, waitress 8 threads, {report.seconds:.1f} s"
    if report.deadline_hit:
        setup += ", stopped by the deadline"
    return [
        Result(
            "load: requests answered",
            report.requests,
            "req",
            f"== {requests}",
            report.requests == requests and report.errors == 0,
            setup,
        ),
        Result(
            "load: errors",
            report.errors,
            "",
            "== 0",
            report.errors == 0,
            "; ".join(report.samples[:3]),
        ),
        Result(
            "load: cross-user PII (pages + shared hashes)",
            report.cross_user,
            "",
            "== 0",
            report.cross_user == 0,
        ),
        Result(
            "load: raw email/phone in responses", report.raw_pii, "", "== 0", report.raw_pii == 0
        ),
        Result(
            "load: order/account pages missing own hashes",
            report.missing_own,
            "",
            "== 0",
            report.missing_own == 0,
            f"{report.identity_pages} identity pages of {report.pages} HTML pages checked",
        ),
        Result("load: throughput", report.requests_per_second, "req/s"),
        Result("load: latency p50", report.latency_ms(50), "ms"),
        Result("load: latency p95", report.latency_ms(95), "ms"),
        Result(
            "load: pixel share of request CPU time",
            report.pixel_share,
            "%",
            note=(
                f"pixel {report.mean_us('pixel_cpu'):.0f} us of {report.mean_us('cpu'):.0f} us "
                f"CPU per request; wall-clock share {report.pixel_wall_share:.1f}%"
            ),
        ),
    ]
