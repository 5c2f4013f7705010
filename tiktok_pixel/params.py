"""Check and coerce ``ttq.track`` parameters to the types TikTok expects.

TikTok wants numbers for ``value``, ``price``, ``quantity`` and ``num_items``, strings for ids and
an uppercase code from its currency list. Bad tracking data is request-time data: it is coerced
when that is unambiguous (``"19.99"`` becomes ``19.99``) and otherwise dropped with a problem
report, never raised into the page.
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping
from decimal import Decimal
from typing import Any

from .currencies import SUPPORTED_CURRENCIES, normalise_currency
from .jsonsafe import (
    LONE_SURROGATE,
    MAX_SAFE_INT,
    UNSAFE_INT,
    json_problem,
    safe_int,
    valid_text,
)

#: The parameters TikTok documents for web events, with the coercion each one gets.
NUMBER_PARAMS = frozenset({"value", "num_items", "predicted_ltv"})
STRING_PARAMS = frozenset(
    {
        "content_type",
        "query",
        "description",
        "order_id",
        "shop_id",
        "search_string",
        "status",
        "delivery_category",
        "content_name",
        "content_category",
    }
)
ITEM_NUMBER_KEYS = frozenset({"price", "quantity"})
ITEM_STRING_KEYS = frozenset(
    {"content_id", "content_type", "content_name", "content_category", "brand"}
)


class Problems(list[str]):
    """Field-level problems found while coercing; each names the field, never a PII value.

    The list holds what was left out; :attr:`coerced` what was sent in another form (a numeric
    string sent as a number, a currency code uppercased), so one warning can say both.
    """

    def __init__(self) -> None:
        super().__init__()
        self.coerced: list[str] = []

    def __bool__(self) -> bool:
        return bool(len(self) or self.coerced)

    def describe(self) -> str:
        """``"value is not a number; left out; currency 'eur' sent as 'EUR'"``-style text."""
        parts = []
        if len(self):
            parts.append("; ".join(self) + "; left out")
        if self.coerced:
            parts.append("; ".join(self.coerced))
        return "; ".join(parts)


def _number(name: str, value: object, problems: Problems) -> int | float | None:
    number = to_number(value)
    if number is None:
        problems.append(_why_not(name, value, "a number"))
    elif isinstance(value, str):
        problems.coerced.append(f"{name} was a string, sent as the number {number!r}")
    return number


def to_number(value: object) -> int | float | None:
    """An int or finite float from a number or numeric string; ``None`` if there is none.

    Integers beyond ±2**53 give ``None`` too: JSON readers cannot hold them exactly
    (:mod:`tiktok_pixel.jsonsafe`).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if safe_int(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            whole = int(text)
        except ValueError:
            pass
        else:
            return whole if safe_int(whole) else None
        try:
            number = float(text)
        except ValueError:
            return None
    elif isinstance(value, float | Decimal):
        number = float(value)
    else:
        return None
    return number if math.isfinite(number) else None


def to_text(value: object) -> str | None:
    """A string from a string or number (ids are often ints in a shop database).

    ``None`` for text that is not valid Unicode (a lone surrogate) and for an integer too long
    to write (more than 4,300 digits).
    """
    if isinstance(value, str):
        return value if valid_text(value) else None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # int above Python's 4,300-digit conversion limit
            return None
    return None


def is_jsonable(value: object, depth: int = 0) -> bool:
    """True if ``value`` is JSON every reader takes the same way (:mod:`~tiktok_pixel.jsonsafe`).

    No NaN, no integers beyond ±2**53, no lone surrogates, only str keys, bounded depth.
    """
    return json_problem(value, depth) is None


def _why_not(name: str, value: object, kind: str) -> str:
    """The problem line for a value of ``name`` that is not ``kind``, as precise as we can."""
    if isinstance(value, int) and not isinstance(value, bool) and not safe_int(value):
        return f"{name} {UNSAFE_INT}"
    if isinstance(value, str) and not valid_text(value):
        return f"{name} {LONE_SURROGATE}"
    return f"{name} is not {kind}"


def _coerce_item(
    index: int,
    item: object,
    problems: Problems,
    known: Container[object] = (),
    notes: list[Any] | None = None,
) -> dict[str, Any] | None:
    if not isinstance(item, dict) and not isinstance(item, Mapping):  # dict: the fast path
        problems.append(f"contents[{index}] is not an object")
        return None
    out: dict[str, Any] = {}
    for key, raw in item.items():
        if raw is None:
            continue
        if key in ITEM_NUMBER_KEYS:
            number = _number(f"contents[{index}].{key}", raw, problems)
            if number is not None:
                out[key] = number
        elif key in ITEM_STRING_KEYS:
            text = to_text(raw)
            if text is None:
                problems.append(_why_not(f"contents[{index}].{key}", raw, "a string"))
            else:
                out[key] = text
                if notes is not None and text not in known:
                    notes.append(text)
        elif not isinstance(key, str) or not valid_text(key):
            problems.append(f"contents[{index}] has a key that is not valid text")
        elif (why := json_problem(raw)) is None:
            out[key] = raw
            if notes is not None:
                notes.append((key, raw))
        else:
            problems.append(f"contents[{index}].{key} {why}")
    return out


def coerce_param(
    name: str,
    value: object,
    problems: Problems,
    known: Container[object] = (),
    notes: list[Any] | None = None,
) -> Any:
    """The value to send for ``name``, or ``None`` (with a problem noted) to leave it out.

    With ``notes``, what a later check must look at is noted there (see :func:`coerce_params`).
    """
    if name in NUMBER_PARAMS:
        kind = type(value)  # the usual float or int is sent as it is, without further calls
        if (kind is float and math.isfinite(value)) or (  # type: ignore[arg-type]
            kind is int and -MAX_SAFE_INT <= value <= MAX_SAFE_INT  # type: ignore[operator]
        ):
            return value
        return _number(name, value, problems)
    if name == "currency":
        if type(value) is str and value in SUPPORTED_CURRENCIES:  # a code as TikTok writes it
            return value
        code = normalise_currency(value)
        if code is None:
            problems.append("currency is not a code TikTok supports")
        elif code != value:
            problems.coerced.append(f"currency {value!r} sent as {code!r}")
        return code
    if name in STRING_PARAMS:
        text = to_text(value)
        if text is None:
            problems.append(_why_not(name, value, "a string"))
        elif notes is not None and text not in known:
            notes.append(text)
        return text
    if name == "content_ids":
        if isinstance(value, list | tuple):
            ids = [i for i in map(to_text, value) if i is not None]
            if len(ids) < len(value):
                problems.append("content_ids holds a value that is not a string")
            if notes is not None:
                notes.extend(ids)
            return ids or None
        text = to_text(value)
        if text is None:
            problems.append("content_ids is not a string or list of strings")
        elif notes is not None and text not in known:
            notes.append(text)
        return text
    if name == "contents":
        if not isinstance(value, list | tuple):
            problems.append("contents is not a list")
            return None
        items = [_coerce_item(i, item, problems, known, notes) for i, item in enumerate(value)]
        return [item for item in items if item is not None]
    why = json_problem(value)
    if why is None:
        if notes is not None:
            notes.append((name, value))
        return value
    problems.append(f"{name} {why}")
    return None


def coerce_params(
    raw: Mapping[str, object],
    problems: Problems,
    known: Container[object] = (),
    notes: list[Any] | None = None,
) -> dict[str, Any]:
    """Coerce every parameter of ``raw``, leaving out ``None`` values and unusable ones.

    With ``notes``, the walk also notes what a later check (the privacy guard) must look at, so
    that check needs no second walk: each string sent under a documented key that is not in
    ``known`` (strings checked before), and ``(key, value)`` for each key the walk does not know
    (custom params, extra contents fields), sent as it is. Numbers under documented keys and
    currency codes are not noted: they cannot hold an email, a phone number or a URL.
    """
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            continue
        coerced = coerce_param(name, value, problems, known, notes)
        if coerced is not None:
            params[name] = coerced
    return params
