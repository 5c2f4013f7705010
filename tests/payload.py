"""Read the JSON payload back out of a rendered fragment (tests only; no HTML parser needed)."""

from __future__ import annotations

import json
import re
from typing import Any

from tiktok_pixel.runtime import inline_payload

_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
#: The exact attribute: debug mode's ``data-tiktok-pixel-findings`` block is no payload.
_DATA = re.compile(
    r'<script type="application/json" data-tiktok-pixel(?![\w-])[^>]*>(.*?)</script>', re.S
)


def payloads(html: str) -> list[dict[str, Any]]:
    """Every payload in ``html``, inline or data block, in page order."""
    found = [(m.start(), inline_payload(m.group(1))) for m in _SCRIPT.finditer(html)]
    found = [(start, text) for start, text in found if text is not None]
    found += [(m.start(), m.group(1)) for m in _DATA.finditer(html)]
    return [json.loads(text) for _, text in sorted(found)]
