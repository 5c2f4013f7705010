"""JSON that is safe inside an HTML ``<script>`` element.

``json.dumps`` with ``ensure_ascii`` escapes U+2028, U+2029 and every non-ASCII character; we
then escape ``<``, ``>``, ``&`` and ``'`` as ``\\u00XX`` so no value can close the script element,
open an HTML comment or break out of an attribute-free context. The result is still plain JSON:
``json.loads`` gives back the original value.
"""

from __future__ import annotations

import json
from typing import Any

_HTML_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
}

_encoder = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def script_json(value: Any) -> str:
    """Serialise ``value`` as compact JSON escaped for an HTML script context."""
    text = _encoder.encode(value)
    if "<" in text or ">" in text or "&" in text or "'" in text:
        text = text.translate(_HTML_ESCAPES)
    return text
