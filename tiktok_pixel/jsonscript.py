"""JSON that is safe inside an HTML ``<script>`` element.

``json.dumps`` with ``ensure_ascii`` escapes U+2028, U+2029 and every non-ASCII character; we
then escape ``<``, ``>``, ``&`` and ``'`` as ``\\u00XX`` so no value can close the script element,
open an HTML comment or break out of an attribute-free context. The result is still plain JSON:
``json.loads`` gives back the original value.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterable
from typing import Any

_HTML_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
}

_encoder = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def _one_shot() -> Callable[[Any, int], Iterable[str]]:
    """``_encoder.iterencode`` without its per-call set-up: CPython's C encoder, made once.

    ``JSONEncoder.encode`` builds a new C encoder on every call, which costs more than encoding
    a page's few calls. The C encoder is made here with the same settings and no circular
    reference markers: a cycle ends in ``RecursionError`` instead of ``ValueError``, both
    caught where pages render. Without the C accelerator, ``_encoder.iterencode`` is used.
    """
    make = getattr(json.encoder, "c_make_encoder", None)  # CPython's accelerator
    if make is None:  # pragma: no cover - other Pythons
        return lambda value, _level: _encoder.iterencode(value, _one_shot=True)
    chunks: Callable[[Any, int], Iterable[str]] = make(
        None,
        _encoder.default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        False,
    )
    return chunks


_chunks = _one_shot()


def script_json(value: Any) -> str:
    """Serialise ``value`` as compact JSON escaped for an HTML script context."""
    text = "".join(_chunks(value, 0))
    if "<" in text or ">" in text or "&" in text or "'" in text:
        text = text.translate(_HTML_ESCAPES)
    return text
