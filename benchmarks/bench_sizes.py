"""Bytes on the page: our loader against TikTok's official base code, and a whole page's share."""

from __future__ import annotations

import gzip

from tiktok_pixel import PageEvents

from .common import Result
from .fixtures import CONFIG, reference_page

#: TikTok's official base code as its "get started" help page prints it (2024 version with the
#: consent methods, quoted in nuxt/scripts#166), with `ttq.load(CODE); ttq.page();` and inside
#: <script> tags, measured on 2026-11-25: 1,039 bytes, 614 bytes with gzip -9. We do not ship
#: TikTok's code, so the figures are recorded here rather than measured at run time.
OFFICIAL_BYTES = 1039
OFFICIAL_GZIP_BYTES = 614


def gz(text: str) -> int:
    return len(gzip.compress(text.encode(), compresslevel=9, mtime=0))


def run(quick: bool) -> list[Result]:
    loader = str(PageEvents(CONFIG).render())
    page = str(reference_page().render())
    return [
        Result("loader bytes", len(loader), "B", f"official {OFFICIAL_BYTES}"),
        Result(
            "loader gzip bytes",
            gz(loader),
            "B",
            f"<= {OFFICIAL_GZIP_BYTES}",
            gz(loader) <= OFFICIAL_GZIP_BYTES,
        ),
        Result(
            "page (1 identify + 3 tracks) gzip",
            gz(page),
            "B",
            "<= 1024",
            gz(page) <= 1024,
            note="everything the product adds to the page; no request beyond events.js",
        ),
    ]
