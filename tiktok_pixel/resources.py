"""Where the packaged ``static/`` folder is.

In a wheel it sits inside the package (``tiktok_pixel/static``); in a source checkout or an
editable install it is the top-level folder beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """The ``static`` folder (or another packaged top-level folder) of this installation."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tiktok_pixel: the {name}/ folder is missing from this installation")


def static_path(filename: str) -> Path:
    """Path of a file in ``static/``, e.g. ``tiktok_pixel.js``."""
    return resource_dir("static") / filename
