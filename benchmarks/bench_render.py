"""Render time of the reference page against the floor: a pre-built loader plus json.dumps."""

from __future__ import annotations

import json

from tiktok_pixel import render_calls
from tiktok_pixel.fragment import heads, page_order

from .common import Result, median_us
from .fixtures import CONFIG, reference_page


def run(quick: bool) -> list[Result]:
    repeat, number = (5, 200) if quick else (25, 4000)
    page = reference_page()
    calls = page.calls
    loader = "<script>" + heads(CONFIG).inline  # pre-built, as a hand-written template would have
    args = [call.args() for call in page_order(calls)]

    def floor() -> str:
        return loader + json.dumps(args) + "});</script>"

    def ours() -> str:
        return render_calls(CONFIG, calls)

    floor_us = median_us(floor, repeat=repeat, number=number)
    ours_us = median_us(ours, repeat=repeat, number=number)
    full_us = median_us(lambda: reference_page().render(), repeat=repeat, number=number // 4)
    ratio = ours_us / floor_us
    return [
        Result("render: 1 identify + 3 tracks", ours_us, "us"),
        Result("render: floor (loader + json.dumps)", floor_us, "us"),
        Result("render: ratio to floor", ratio, "x", "<= 2", ratio <= 2),
        Result(
            "page: collect (hash, coerce) + render",
            full_us,
            "us",
            note="identify hashing is cached for repeated values",
        ),
    ]
