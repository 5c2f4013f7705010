"""Auto-injection: put the pixel fragment before ``</head>`` of an HTML document.

Framework-free text helpers; the Flask extension decides which responses qualify.
"""

from __future__ import annotations

import re

from ...config import PixelConfig
from ...runtime import DATA_BLOCK_ATTRIBUTE

_HEAD_END = re.compile(rb"</head\s*>", re.I)


def has_pixel(body: bytes, config: PixelConfig) -> bool:
    """Whether ``body`` already holds our fragment (inline or no-inline)."""
    marker = b'{"pixels":'
    return DATA_BLOCK_ATTRIBUTE.encode() in body or marker in body


def insert_before_head_end(body: bytes, fragment: bytes) -> bytes | None:
    """``body`` with ``fragment`` before its first ``</head>``, or ``None`` if it has none."""
    match = _HEAD_END.search(body)
    if match is None:
        return None
    return body[: match.start()] + fragment + body[match.start() :]
