"""Apply the ``pii_policy`` to what a tracking call sends: params, contents, nested values, URLs.

Every value a ``track`` call would send is checked by :mod:`tiktok_pixel.pii_detect`: strings at
any depth (lists and objects included), the value under every key that names personal data, and
URL-valued strings (their query, fragment, path and user info, see :mod:`tiktok_pixel.url_redact`).
What is found is handled by one policy:

- ``"hash"`` (default): a top-level parameter whose key names an identify field (``Email``,
  ``user_email``, ``billingPhone``, ``customer_first_name``, ``postcode``, …) goes to ``identify``,
  normalised and hashed, exactly like the documented ``email=``; anything else is replaced by its
  SHA-256 hex (emails lowercased first); in a URL only the offending part is replaced.
- ``"drop"``: removed (in a URL, the value becomes ``[redacted]``).
- ``"raise"``: :class:`PiiError` from ``track()``, for tests and CI. This is the one place where
  tracking raises, because the site asked for it.

Each call that needed it logs one warning naming the event and the field paths
(``contents[0].customer.email``), never a value.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, cast

from .hashing import InvalidIdentity, normalise_phone, sha256_hex
from .params import Problems, coerce_params
from .pii_detect import (
    CLEAN_KEYS,
    IDENTIFY_FIELD,
    KEY_CACHE,
    PLAIN,
    SUSPECT,
    is_hashed,
    key_kind,
    text_kind,
)
from .url_redact import (
    DEFAULT_URL_PARAMS_ALLOWED,
    REDACTED,
    compile_allowed,
    looks_like_url,
    redact_url,
)

logger = logging.getLogger(__name__)

PiiPolicy = Literal["hash", "drop", "raise"]
PII_POLICIES: Final[tuple[str, ...]] = ("hash", "drop", "raise")

_LONE_PHONE = re.compile(r"[+0-9 ().\-/]+")
_SAFE_KEY = re.compile(r"[\w .\-]{1,64}")
_DROP: Final = object()
_MAX_DEPTH: Final = 32
_MAX_NODES: Final = 10_000


class PiiError(ValueError):
    """Raised by ``track()`` under ``pii_policy="raise"``; names the fields, never the values."""


@dataclass(frozen=True)
class PrivacySettings:
    """The validated privacy settings of a :class:`~tiktok_pixel.PixelConfig`.

    ``region`` is the site's ``default_phone_region`` (national phone numbers are read in it).
    """

    policy: PiiPolicy = "hash"
    url_params_allowed: Sequence[str] = DEFAULT_URL_PARAMS_ALLOWED
    region: str | None = None
    allowed: Callable[[str], object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.policy not in PII_POLICIES:
            raise ValueError(
                f"pii_policy must be one of 'hash', 'drop' or 'raise', not {self.policy!r}"
            )
        patterns = self.url_params_allowed
        if isinstance(patterns, str):
            patterns = (patterns,)
        try:
            patterns = tuple(patterns)
        except TypeError:
            raise ValueError(
                "url_params_allowed must be a list of glob patterns (like 'utm_*'), "
                f"not {self.url_params_allowed!r}"
            ) from None
        object.__setattr__(self, "url_params_allowed", patterns)
        object.__setattr__(self, "allowed", compile_allowed(patterns))


DEFAULT_PRIVACY: Final = PrivacySettings()


def pii_digest(value: object, region: str | None = None) -> str:
    """SHA-256 hex of a value found to be personal data, normalised where that is clear.

    A lone email is lowercased and a lone phone number put in E.164 first (as ``identify``
    does), so the same person gives the same digest; anything else is hashed as written
    (trimmed), objects and lists as compact JSON.
    """
    if isinstance(value, str):
        text = value.strip()
        kind = text_kind(text, region)
        if kind == "email" and not any(ch.isspace() for ch in text):
            return sha256_hex(text.lower())
        if kind == "phone" and _LONE_PHONE.fullmatch(text):
            try:
                return sha256_hex(normalise_phone(text, region))
            except InvalidIdentity:
                pass
        return sha256_hex(text)
    if isinstance(value, int | float):
        return sha256_hex(str(value))
    return sha256_hex(
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    )


def _holds_data(value: object) -> bool:
    """True for a value under a personal-data key that is worth protecting."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str):
        text = value.strip()
        return bool(text) and text != REDACTED and not is_hashed(text)
    if isinstance(value, int | float):
        return True
    return bool(value)


def _string_dirty(text: str, region: str | None) -> bool:
    if is_hashed(text):
        return False
    if looks_like_url(text):
        return bool(redact_url(text, str, lambda name: None, region)[1])
    return text_kind(text, region) is not None


#: Values checked clean and seen more than once: strings without ``@ % ? #`` or a phone-like
#: run (catalogue values such as SKUs, product names, content types) and numbers (only ever
#: personal data under a personal key, which is checked separately). A set, so a repeated value
#: costs the guard one lookup (done by the coercion walk, see :func:`coerce_and_guard`) and a
#: whole contents item one ``issuperset``. Bounded: cleared when full.
_CLEAN_TEXT: set[object] = set()
_CLEAN_TEXT_SIZE: Final = 8192
_CLEAN_TEXT_LENGTH: Final = 120
#: Strings checked clean once (order ids, one-off descriptions), moved to :data:`_CLEAN_TEXT`
#: when seen again. Small and cleared when full, so a stream of one-off values neither crowds
#: out the repeated ones nor keeps thousands of dead strings alive.
_FRESH_TEXT: set[str] = set()
_FRESH_TEXT_SIZE: Final = 256
_MISSING: Final = object()
#: What :func:`guard_params` returns as the identity when nothing moved (read-only, shared, so
#: the common case allocates nothing).
_NO_IDENTITY: Final[Mapping[str, Any]] = MappingProxyType({})


def _text_dirty(
    text: str,
    region: str | None,
    *,
    _fresh: set[str] = _FRESH_TEXT,
    _clean: set[object] = _CLEAN_TEXT,
    _plain: Callable[[str], object] = PLAIN,
    _suspect: Callable[[str], object] = SUSPECT,
) -> bool:
    """Could the guard change ``text``? Remembers clean strings (see :data:`_FRESH_TEXT`)."""
    if text in _fresh:  # checked clean before: a repeated value now
        if len(_clean) >= _CLEAN_TEXT_SIZE:
            _clean.clear()
        _clean.add(text)
        return False
    if _plain(text) is None and _suspect(text) is not None:
        return _string_dirty(text, region)
    if len(text) <= _CLEAN_TEXT_LENGTH:
        if len(_fresh) >= _FRESH_TEXT_SIZE:
            _fresh.clear()
        _fresh.add(text)
    return False


def _dirty(
    params: Any,
    region: str | None,
    *,
    _clean_keys: set[object] = CLEAN_KEYS,
    _clean: set[object] = _CLEAN_TEXT,
    _plain: Callable[[str], object] = PLAIN,
    _str: type = str,
    _float: type = float,
    _int: type = int,
    _dict: type = dict,
    _list: type = list,
) -> bool:
    """Fast check: could the guard change anything in ``params``? (True when unsure.)

    The typical ``track`` (known keys; numbers, short strings and one fresh id at the top; a
    ``contents`` list of flat objects seen before) is decided here with a few C-level set
    checks: all keys known clean, every item of a list an exact ``dict`` whose keys are clean
    and whose values were all seen clean, each top-level string seen before or screened by
    :func:`_text_dirty`. Anything else (a new key, an unseen contents value, nesting, another
    type) goes to :func:`_dirty_walk`, which decides exactly.
    """
    if type(params) is not _dict:
        return _dirty_walk(params, region)
    fields = cast("dict[Any, Any]", params)
    if not _clean_keys.issuperset(fields):
        return _dirty_walk(fields, region)
    try:  # an unhashable value (a nested list or object) raises TypeError: the walk decides
        for item in fields.values():
            kind = type(item)
            if kind is _list:
                for entry in item:
                    if (
                        type(entry) is not _dict
                        or not _clean_keys.issuperset(entry)
                        or not _clean.issuperset(entry.values())
                    ):
                        return _dirty_walk(fields, region)
            elif item not in _clean:
                if kind is _str:
                    # a fresh id passes PLAIN and is not remembered: one-off values would only
                    # crowd out the repeated ones (and slow every lookup) in the bounded set
                    if _plain(item) is None and _text_dirty(item, region):
                        return True
                elif kind is not _float and kind is not _int and item is not None:
                    return _dirty_walk(fields, region)
    except TypeError:
        return _dirty_walk(fields, region)
    return False


def _dirty_walk(
    value: Any,
    region: str | None,
    *,
    _keys: dict[object, str | None] = KEY_CACHE,
    _clean_keys: set[object] = CLEAN_KEYS,
    _clean: set[object] = _CLEAN_TEXT,
    _missing: object = _MISSING,
    _str: type = str,
    _int: type = int,
    _float: type = float,
    _bool: type = bool,
    _dict: type = dict,
    _list: type = list,
    _tuple: type = tuple,
) -> bool:
    """The full check behind :func:`_dirty`, for any shape (True when unsure).

    Still on the hot path (a new key or value), so it is one loop over an explicit stack:
    an object whose keys are all known clean is cleared by one C-level ``issuperset``; a string
    costs one set lookup if seen before (strings under 6 characters cannot hold an email, a
    phone number or a URL with data) and one regex search otherwise. Builtins are bound as
    defaults for speed; anything unusual (subclasses, other types) answers True, so the careful
    path in :class:`_Redactor` decides.
    """
    stack = [value]
    pop = stack.pop
    push = stack.append
    budget = _MAX_NODES  # a cyclic or huge structure goes to the careful (depth-capped) path
    while stack:
        budget -= 1
        if not budget:
            return True
        node = pop()
        kind = type(node)
        if kind is _dict:
            if not _clean_keys.issuperset(node):
                for key, item in node.items():
                    key_class = _keys.get(key, _missing)
                    if key_class is _missing:
                        key_class = key_kind(key)
                    if key_class is not None and (key_class == "key" or _holds_data(item)):
                        return True
            items = node.values()
        elif kind is _list or kind is _tuple:
            items = node
        elif kind is _str:
            items = (node,)
        else:
            return not (node is None or kind is _bool or kind is _int or kind is _float)
        for item in items:
            item_type = type(item)
            if item_type is _str:
                if item not in _clean:
                    if len(item) > 5:
                        if _text_dirty(item, region):
                            return True
                    elif len(_clean) < _CLEAN_TEXT_SIZE:
                        _clean.add(item)
            elif item_type is _int or item_type is _float or item is None or item_type is _bool:
                if item not in _clean and len(_clean) < _CLEAN_TEXT_SIZE:
                    _clean.add(item)
            elif item_type is _dict:
                # a contents item seen in this shape before: all keys known clean and all
                # values (strings, numbers) seen clean, in two C-level set checks
                if _clean_keys.issuperset(item):
                    try:
                        if _clean.issuperset(item.values()):
                            continue
                    except TypeError:  # a nested list or object among the values
                        pass
                push(item)
            elif item_type is _list or item_type is _tuple:
                push(item)
            else:
                return True  # a subclass or another type: take the careful path
    return False


class _Redactor:
    """One pass over a call's params applying ``mode``: "hash", "drop" or "show" ([redacted])."""

    def __init__(self, settings: PrivacySettings, mode: str, taken: Collection[str] = ()) -> None:
        self.settings = settings
        self.mode = mode
        self.taken = set(taken)
        self.found: list[tuple[str, str]] = []
        self.moved: dict[str, Any] = {}

    def replacement(self, value: object) -> Any:
        if self.mode == "hash":
            return pii_digest(value, self.settings.region)
        if self.mode == "show":
            return REDACTED
        return _DROP

    @property
    def action(self) -> str:
        return {"hash": "hashed", "drop": "dropped", "show": "withheld"}[self.mode]

    def url_replacement(self, value: str) -> str:
        if self.mode == "hash":
            return pii_digest(value, self.settings.region)
        return REDACTED

    def params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Top level: identify fields may be moved to identify (hash mode)."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            kind = key_kind(key)
            if kind is not None and _holds_data(value):
                target = IDENTIFY_FIELD.get(kind)
                if (
                    self.mode == "hash"
                    and target is not None
                    and target not in self.taken
                    and target not in self.moved
                    and isinstance(value, str | int)
                ):
                    self.moved[target] = value
                    self.found.append((_key_path("", key, kind), "moved to identify, hashed"))
                    continue
            self.entry(out, "", key, kind, value, 0)
        return out

    def entry(
        self, out: dict[str, Any], path: str, key: Any, kind: str | None, value: Any, depth: int
    ) -> None:
        where = _key_path(path, key, kind)
        if kind == "key":  # the key itself is personal data
            self.found.append((where, self.action))
            if self.mode == "drop":
                return
            key = self.replacement(key)
            kind = None
        if kind is not None and _holds_data(value):
            self.found.append((where, self.action))
            replaced = self.replacement(value)
            if replaced is not _DROP:
                out[key] = replaced
            return
        replaced = self.value(value, where, depth + 1)
        if replaced is not _DROP:
            out[key] = replaced

    def value(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, str):
            if SUSPECT(value) is None or is_hashed(value):
                return value
            region = self.settings.region
            if looks_like_url(value):
                redacted, places = redact_url(
                    value, self.url_replacement, self.settings.allowed, region
                )
                for place in places:
                    self.found.append((path + place, self.action))
                return redacted
            if text_kind(value, region) is not None:
                self.found.append((path, self.action))
                return self.replacement(value)
            return value
        if depth > _MAX_DEPTH and isinstance(value, Mapping | list | tuple):
            self.found.append((path, "too deep to check; " + self.action))
            return self.replacement(value)
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                self.entry(out, path, key, key_kind(key), item, depth)
            return out
        if isinstance(value, list | tuple):
            items = (self.value(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
            return [item for item in items if item is not _DROP]
        return value


def _key_path(path: str, key: object, kind: str | None) -> str:
    name = key if isinstance(key, str) and kind != "key" and _SAFE_KEY.fullmatch(key) else None
    name = name or "(key withheld)"
    return f"{path}.{name}" if path else name


def guard_params(
    event: str,
    params: dict[str, Any],
    settings: PrivacySettings = DEFAULT_PRIVACY,
    *,
    taken: Collection[str] = (),
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """``(params, identity)``: the params safe to send and raw identify fields moved out of them.

    ``taken`` names identify fields the call already sets (a second email is hashed in place).
    Returns ``params`` itself when it holds no personal data (the common, fast case). Logs one
    warning naming ``event`` and the field paths; raises :class:`PiiError` under ``"raise"``.
    """
    if not _dirty(params, settings.region):
        return params, _NO_IDENTITY
    return _apply(event, params, settings, taken)


def coerce_and_guard(
    event: str,
    raw: Mapping[str, object],
    problems: Problems,
    settings: PrivacySettings = DEFAULT_PRIVACY,
    taken: Collection[str] = (),
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """:func:`~tiktok_pixel.params.coerce_params` then :func:`guard_params`, in one walk.

    What ``track`` calls: the coercion visits every value anyway, so it notes for the guard the
    strings not seen clean before and the entries under keys it does not know; a call whose
    strings were all seen before and whose keys are all documented costs the guard only that.
    """
    notes: list[Any] = []
    params = coerce_params(raw, problems, _CLEAN_TEXT, notes)
    for note in notes:
        if type(note) is str:
            # inlined from _text_dirty for its commonest case, a fresh id or code
            if note not in _FRESH_TEXT and PLAIN(note) is not None:
                if len(note) <= _CLEAN_TEXT_LENGTH:
                    if len(_FRESH_TEXT) >= _FRESH_TEXT_SIZE:
                        _FRESH_TEXT.clear()
                    _FRESH_TEXT.add(note)
            elif _text_dirty(note, settings.region):
                return _apply(event, params, settings, taken)
        elif _entry_dirty(note, settings.region):
            return _apply(event, params, settings, taken)
    return params, _NO_IDENTITY


def _entry_dirty(
    entry: tuple[Any, Any],
    region: str | None,
    *,
    _keys: dict[object, str | None] = KEY_CACHE,
    _clean: set[object] = _CLEAN_TEXT,
    _missing: object = _MISSING,
) -> bool:
    """Could the guard change a ``(key, value)`` under a key the coercion does not know?"""
    key, value = entry
    kind = _keys.get(key, _missing)
    if kind is _missing:
        kind = key_kind(key)
    if kind is not None and (kind == "key" or _holds_data(value)):
        return True
    if type(value) is str:
        return value not in _clean and _text_dirty(value, region)
    return _dirty_walk(value, region)


def _apply(
    event: str, params: dict[str, Any], settings: PrivacySettings, taken: Collection[str]
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """The careful pass, once a quick check found something that may be personal data."""
    mode = "drop" if settings.policy == "raise" else settings.policy
    redactor = _Redactor(settings, mode, taken)
    cleaned = redactor.params(params)
    if not redactor.found:
        return params, _NO_IDENTITY
    if settings.policy == "raise":
        raise PiiError(
            f"TikTok event {event!r}: personal data in {_paths(redactor.found)} "
            "(pii_policy='raise'; values withheld)"
        )
    logger.warning(
        "TikTok event %r: personal data in %s (pii_policy=%r; values withheld)",
        event,
        "; ".join(f"{path} {action}" for path, action in redactor.found),
        settings.policy,
    )
    return cleaned, redactor.moved


def _paths(found: Iterable[tuple[str, str]]) -> str:
    return ", ".join(dict.fromkeys(path for path, _ in found))


def pii_paths(params: Mapping[str, Any], region: str | None = None) -> list[str]:
    """The paths in ``params`` that hold personal data in clear (for the validator)."""
    if not _dirty(params, region):
        return []
    redactor = _Redactor(PrivacySettings(region=region), "show")
    redactor.params(params)
    return list(dict.fromkeys(path for path, _ in redactor.found))


def redact_for_display(params: Mapping[str, Any], region: str | None = None) -> dict[str, Any]:
    """``params`` with personal data replaced by ``[redacted]``: for reports and CLI output."""
    if not isinstance(params, Mapping) or not _dirty(params, region):
        return dict(params) if isinstance(params, Mapping) else {}
    return _Redactor(PrivacySettings(region=region), "show").params(params)


def redact_page(
    page: Mapping[str, str], settings: PrivacySettings | None, event: str
) -> dict[str, str]:
    """The Events API ``page`` object with personal data in ``url``/``referrer`` replaced.

    Under ``"raise"`` the values become ``[redacted]`` (this runs after the response, where
    raising would only lose the event); one warning names the event and the places.
    """
    settings = settings or DEFAULT_PRIVACY
    out = dict(page)
    places: list[str] = []
    replace = (
        (lambda value: pii_digest(value, settings.region))
        if settings.policy == "hash"
        else (lambda value: REDACTED)
    )
    for key, url in page.items():
        if isinstance(url, str) and SUSPECT(url) is not None:
            out[key], found = redact_url(url, replace, settings.allowed, settings.region)
            places += [f"page.{key}{place}" for place in found]
    if places:
        logger.warning(
            "TikTok Events API event %r: personal data in %s replaced (pii_policy=%r; values "
            "withheld)",
            event,
            ", ".join(places),
            settings.policy,
        )
    return out
