"""Collect and render stay linear in the number of calls (1 to 3,000), debug mode included,
and a custom event name costs no more than a standard one after its first use.

Per-call cost at n calls against the per-call cost at 30 calls, paired and interleaved in one
process (thread CPU time): a ratio near 1 is linear, a quadratic step shows as ~n/30.
"""

from __future__ import annotations

import logging

from tiktok_pixel import PageEvents, PixelConfig

from .common import Result, paired
from .fixtures import CODE


def _page(config: PixelConfig, n: int) -> None:
    page = PageEvents(config)
    for i in range(n):
        page.identify(external_id=i)  # distinct identifies: the case that was quadratic
        page.track("AddToCart", value=i, currency="EUR", content_type="product")
    page.render()


def run(quick: bool) -> list[Result]:
    results: list[Result] = []
    log = logging.getLogger("tiktok_pixel")
    level, log.level = log.level, logging.CRITICAL  # debug mode logs one warning per finding
    try:
        sizes = (300,) if quick else (300, 3000)
        for debug in (False, True):
            config = PixelConfig(pixel_codes=CODE, debug=debug)
            for n in sizes:
                rounds = 3 if quick else 7
                pair = paired(
                    lambda n=n, config=config: _page(config, n),
                    lambda n=n, config=config: [_page(config, 30) for _ in range(n // 30)],
                    rounds=rounds,
                    number=1,
                )
                label = f"scaling: {n} calls vs {n // 30}x30{' (debug)' if debug else ''}"
                results.append(
                    Result(
                        label,
                        pair.ratio_median,
                        "x",
                        "<= 1.5 (linear)",
                        pair.ratio_median <= 1.5,
                        note=f"min {pair.ratio_min:.2f}; {pair.a_us / 1e3:.1f} ms for {n}",
                    )
                )
        config = PixelConfig(pixel_codes=CODE)
        number = 200 if quick else 2000
        pair = paired(
            lambda: PageEvents(config).track("wishlist_share", value=1, currency="EUR"),
            lambda: PageEvents(config).track("AddToWishlist", value=1, currency="EUR"),
            rounds=5 if quick else 15,
            number=number,
        )
        results.append(
            Result(
                "track: custom name vs standard name",
                pair.ratio_median,
                "x",
                "<= 1.2",
                pair.ratio_median <= 1.2,
                note=f"min {pair.ratio_min:.2f}; {pair.a_us:.1f} vs {pair.b_us:.1f} us",
            )
        )
    finally:
        log.level = level
    return results
