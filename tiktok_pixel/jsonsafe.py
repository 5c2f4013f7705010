"""Values every JSON reader takes the same way: the rule one event's data must pass on its own.

Python's ``json`` writes things other readers refuse or silently change, and one such value used
to fail a whole page fragment or a whole Events API batch:

- a *lone surrogate* (``"mug \\ud800"``, which Flask's ``get_json()`` accepts) is not Unicode:
  it cannot be encoded as UTF-8, so a UTF-8 body fails to build;
- an *integer beyond ±2**53*: JavaScript (the pixel in the browser) and every JSON reader that
  holds numbers as IEEE doubles reads it as a different number, and one of more than 4,300
  digits cannot even be written by Python (``ValueError``, a guard against slow conversions).
  2**53 is the largest bound under which every integer round-trips exactly through a double;
- NaN and infinities are not JSON at all.

:func:`json_problem` says what is wrong with a value (for a warning naming the field; never the
value itself, which may be personal data) and :func:`clean_json` makes a copy without it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: Largest integer magnitude sent as a JSON number (see the module docstring).
MAX_SAFE_INT = 2**53
#: Deepest nesting of lists and objects accepted in one value.
MAX_DEPTH = 20

LONE_SURROGATE = "holds a lone surrogate (text that is not valid Unicode)"
UNSAFE_INT = "is an integer beyond ±2**53, which JSON readers cannot hold exactly"
NOT_FINITE = "is NaN or infinite, which JSON cannot hold"
NOT_JSON = "is not JSON-serialisable"


def valid_text(text: str) -> bool:
    """True if ``text`` encodes as UTF-8 (no lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def replace_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (a split pair is joined again)."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def safe_int(number: int) -> bool:
    return -MAX_SAFE_INT <= number <= MAX_SAFE_INT


def json_problem(value: object, depth: int = 0) -> str | None:
    """Why ``value`` is not portable JSON (a phrase like ``"is NaN or infinite…"``), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return None if valid_text(value) else LONE_SURROGATE
    if isinstance(value, int):
        return None if safe_int(value) else UNSAFE_INT
    if isinstance(value, float):
        return None if math.isfinite(value) else NOT_FINITE
    if depth >= MAX_DEPTH:
        return f"is nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, list | tuple):
        for item in value:
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return NOT_JSON
            if not valid_text(key):
                return "has a key that " + LONE_SURROGATE
            problem = json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return NOT_JSON


def clean_json(value: Any, path: str, notes: list[str], depth: int = 0) -> Any:
    """A copy of ``value`` that is portable JSON; each change is noted as "<path> <what>".

    Lone surrogates are replaced by U+FFFD (the rest of the text is kept); unsafe numbers,
    non-string keys, values of other types and over-deep nesting are left out (``_DROP``).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if valid_text(value):
            return value
        notes.append(f"{path} {LONE_SURROGATE}; replaced by U+FFFD")
        return replace_surrogates(value)
    if isinstance(value, int):
        if safe_int(value):
            return int(value)
        notes.append(f"{path} {UNSAFE_INT}; left out")
        return _DROP
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        notes.append(f"{path} {NOT_FINITE}; left out")
        return _DROP
    if depth >= MAX_DEPTH:
        notes.append(f"{path} is nested deeper than {MAX_DEPTH} levels; left out")
        return _DROP
    if isinstance(value, list | tuple):
        items = (clean_json(item, f"{path}[{i}]", notes, depth + 1) for i, item in enumerate(value))
        return [item for item in items if item is not _DROP]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                notes.append(f"{path} has a key that is not a string; left out")
                continue
            name = key if valid_text(key) else replace_surrogates(key)
            cleaned = clean_json(item, f"{path}.{name}" if path else name, notes, depth + 1)
            if cleaned is not _DROP:
                out[name] = cleaned
        return out
    notes.append(f"{path} {NOT_JSON}; left out")
    return _DROP


class _Dropped:
    def __repr__(self) -> str:
        return "<dropped>"


#: What :func:`clean_json` returns for a value to leave out.
_DROP: Any = _Dropped()
DROP = _DROP
