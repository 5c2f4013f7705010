"""Building a :class:`~tiktok_pixel.mappings.MappingConfig` from a configuration spec.

The spec is what ``PixelConfig(mappings=...)``, Flask's ``TIKTOK_PIXEL_MAPPINGS``, Django's
``TIKTOK_PIXEL["MAPPINGS"]`` and ``render --mappings FILE`` take: a dict (or list) as JSON gives
it, or the Python objects of :mod:`tiktok_pixel.mappings`. Every problem fails at start-up with
a ``ValueError`` that names the mapping and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .currencies import SUPPORTED_CURRENCIES
from .hashing import IDENTITY_FIELDS
from .mappings import (
    DEFAULT_CONTENT_TYPE,
    DEFAULT_CURRENCY,
    DEFAULT_MAPPING_CONFIG,
    FIELD_GROUPS,
    PARAM_NAME,
    PATH_PART,
    PII_PARAM_NAMES,
    PRESETS,
    PRODUCT_ITEM,
    PRODUCT_LIST,
    RESERVED_PARAMS,
    SEGMENT_TYPES,
    SETS,
    SINGLE_PRODUCT,
    Contents,
    EventMapping,
    MappingConfig,
    Source,
    Subscription,
    on_event,
)
from .standard_events import KNOWN_EVENTS, similar_standard_event

SPEC_KEYS = ("set", "presets", "disable", "mappings", "currency", "content_type")
MAPPING_KEYS = (
    "name",
    "subscribe",
    "event",
    "contents",
    "params",
    "identity",
    "field_groups",
    "event_id",
)


class _Invalid(ValueError):
    pass


def _fail(where: str, problem: str) -> _Invalid:
    return _Invalid(f"mappings: {where}: {problem}")


def _did_you_mean(names: Iterable[object], known: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the first misspelt name close to a known one, else ``""``."""
    options = list(known)
    for name in names:
        close = difflib.get_close_matches(str(name), options, n=1, cutoff=0.6)
        if close:
            return f"did you mean {close[0]!r}? "
    return ""


def _source(value: object, where: str) -> Source | None:
    """A :class:`Source` from ``"a.b"``, ``["a.b", "c"]``, ``{"value": X}`` or a callable."""
    if value is None:
        return None
    if isinstance(value, Source):
        return value
    if callable(value):
        return Source(func=value)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        if set(value) != {"value"}:
            raise _fail(where, 'a constant is written {"value": ...} and has no other key')
        return Source(const=value["value"])
    if isinstance(value, list | tuple) and value:
        paths = []
        for item in value:
            if not isinstance(item, str):
                raise _fail(where, f"a path must be a string, not {type(item).__name__}")
            parts = tuple(item.split("."))
            if not all(PATH_PART.fullmatch(p) for p in parts):
                raise _fail(where, f"{item!r} is not a dotted path like 'properties.total'")
            paths.append(parts)
        return Source(paths=tuple(paths))
    raise _fail(
        where,
        'expected a dotted path, a list of fallback paths, {"value": constant}, a function or '
        f"null, not {value!r}",
    )


def _check_param_name(key: object, where: str) -> str:
    if not isinstance(key, str) or not PARAM_NAME.fullmatch(key) or key in RESERVED_PARAMS:
        raise _fail(
            where, f"{key!r} is not a param name (lowercase snake_case, not event/event_id)"
        )
    close = difflib.get_close_matches(key, PII_PARAM_NAMES, n=1, cutoff=0.8)
    if close:
        # a typo here would put raw PII on the page as a custom param
        raise _fail(
            where,
            f"{key!r} looks like the identify field {PII_PARAM_NAMES[close[0]]!r}; identify "
            "fields go under 'identity', where they are hashed",
        )
    return key


def _fields(
    value: object, where: str, check: Callable[[object, str], str]
) -> tuple[tuple[str, Source | None], ...]:
    if isinstance(value, Mapping):
        pairs: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, list | tuple):
        pairs = value
    else:
        raise _fail(where, f"expected an object of field: source, not {value!r}")
    out = []
    for key, raw in pairs:
        name = check(key, f"{where}.{key}")
        out.append((name, _source(raw, f"{where}.{name}")))
    return tuple(out)


def _check_identity_name(key: object, where: str) -> str:
    if key not in IDENTITY_FIELDS:
        raise _fail(where, f"not an identify field; they are {', '.join(IDENTITY_FIELDS)}")
    return str(key)


def _subscription(value: object, where: str) -> Subscription:
    if isinstance(value, Subscription):
        return value
    if callable(value):
        return Subscription(predicate=value)
    if isinstance(value, str):
        return on_event(value)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return on_event(*value)
    if isinstance(value, Mapping):
        unknown = set(value) - {"event", "type", "predicate"}
        if unknown:
            raise _fail(where, f"unknown key(s) {sorted(unknown)}; use event, type, predicate")

        def names(key: str) -> frozenset[str]:
            raw = value.get(key)
            items = [raw] if isinstance(raw, str) else list(raw or ())
            if not all(isinstance(i, str) and i for i in items):
                raise _fail(f"{where}.{key}", "expected a name or a list of names")
            return frozenset(items)

        types = names("type")
        if types - SEGMENT_TYPES:
            raise _fail(f"{where}.type", f"{sorted(types - SEGMENT_TYPES)} is not a Segment type")
        predicate = value.get("predicate")
        if predicate is not None and not callable(predicate):
            raise _fail(f"{where}.predicate", "must be a function taking the event")
        sub = Subscription(names("event"), types, predicate)
        if not (sub.events or sub.types or sub.predicate):
            raise _fail(where, "subscribes to nothing")
        return sub
    raise _fail(where, 'expected an event name, a list of names, {"event"/"type": …} or a function')


def _contents(value: object, where: str) -> Contents | None:
    if value is None or isinstance(value, Contents):
        return value
    if value == "single":
        return SINGLE_PRODUCT
    if value == "products":
        return PRODUCT_LIST
    item = PRODUCT_ITEM
    if isinstance(value, Mapping):
        unknown = set(value) - {"path", "item"}
        if unknown or "path" not in value:
            raise _fail(where, 'expected {"path": "properties.items", "item": {...}}')
        if "item" in value:
            merged: dict[str, Source | None] = dict(PRODUCT_ITEM)
            merged.update(_fields(value["item"], f"{where}.item", _check_param_name))
            item = tuple((k, v) for k, v in merged.items() if v is not None)
        value = value["path"]
    if isinstance(value, str) and all(PATH_PART.fullmatch(p) for p in value.split(".")):
        return Contents(tuple(value.split(".")), item)
    raise _fail(where, f"expected 'single', 'products', a dotted path or null, not {value!r}")


def _mapping(raw: object, index: int, active: dict[str, EventMapping]) -> EventMapping:
    """One mapping; a spec with an active mapping's name patches it (keys not given are kept)."""
    if isinstance(raw, EventMapping):
        # a Python mapping object replaces any active one of its name, whole
        raw = {
            "name": raw.name,
            "subscribe": raw.subscribe,
            "event": raw.event,
            "contents": raw.contents,
            "params": raw.params,
            "identity": raw.identity,
            "field_groups": raw.field_groups,
            "event_id": raw.event_id,
        }
        active = {}
    if not isinstance(raw, Mapping):
        raise _fail(f"mappings[{index}]", f"expected an object, not {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not PARAM_NAME.fullmatch(name):
        raise _fail(f"mappings[{index}]", f"'name' must be a snake_case string, not {name!r}")
    where = f"mapping {name!r}"
    unknown = sorted(set(raw) - set(MAPPING_KEYS))
    if unknown:
        raise _fail(
            where,
            f"unknown field(s) {', '.join(unknown)}; {_did_you_mean(unknown, MAPPING_KEYS)}"
            f"known: {', '.join(MAPPING_KEYS)}",
        )
    base = active.get(name)
    if base is None and ("subscribe" not in raw or "event" not in raw):
        raise _fail(where, "a new mapping needs 'subscribe' and 'event' (null for identify only)")
    changes: dict[str, Any] = {}
    if "subscribe" in raw:
        changes["subscribe"] = _subscription(raw["subscribe"], f"{where}: field subscribe")
    if "event" in raw:
        changes["event"] = raw["event"]
    if "contents" in raw:
        changes["contents"] = _contents(raw["contents"], f"{where}: field contents")
    if "params" in raw:
        own = _fields(raw["params"], f"{where}: field params", _check_param_name)
        changes["params"] = (*(base.params if base else ()), *own)
    if raw.get("identity") is not None:
        own = _fields(raw["identity"], f"{where}: field identity", _check_identity_name)
        changes["identity"] = (*((base.identity or ()) if base else ()), *own)
    if "field_groups" in raw:
        groups = raw["field_groups"]
        groups = [groups] if isinstance(groups, str) else groups
        if not isinstance(groups, list | tuple) or any(g not in FIELD_GROUPS for g in groups):
            raise _fail(
                f"{where}: field field_groups",
                f"{groups!r}: the groups are {', '.join(FIELD_GROUPS)}",
            )
        changes["field_groups"] = tuple(groups)
    if "event_id" in raw:
        changes["event_id"] = _source(raw["event_id"], f"{where}: field event_id")
    mapping = replace(base, **changes) if base else EventMapping(name=name, **changes)
    _validate_mapping(mapping)
    return mapping


def _validate_mapping(mapping: EventMapping) -> None:
    where = f"mapping {mapping.name!r}"
    if not isinstance(mapping.subscribe, Subscription):
        raise _fail(f"{where}: field subscribe", "is not a subscription")
    if mapping.event is not None and (
        not isinstance(mapping.event, str) or not mapping.event.strip()
    ):
        raise _fail(f"{where}: field event", f"{mapping.event!r} is not a TikTok event name")
    if isinstance(mapping.event, str) and mapping.event not in KNOWN_EVENTS:
        hint = similar_standard_event(mapping.event)
        if hint and mapping.event != "Pageview":
            raise _fail(
                f"{where}: field event",
                f"{mapping.event!r} is not a TikTok standard event; did you mean {hint!r}? "
                "(names are case-sensitive)",
            )
    for group in mapping.field_groups:
        if group not in FIELD_GROUPS:
            raise _fail(f"{where}: field field_groups", f"unknown group {group!r}")
    for key, _ in mapping.params:
        _check_param_name(key, f"{where}: field params.{key}")
    for key, _ in mapping.identity or ():
        _check_identity_name(key, f"{where}: field identity.{key}")


def _names(spec: Mapping[str, Any], key: str) -> list[str]:
    raw = spec.get(key, [])
    raw = [raw] if isinstance(raw, str) else raw
    if not isinstance(raw, list | tuple) or not all(isinstance(n, str) for n in raw):
        raise _fail(key, "expected a list of names")
    return list(raw)


def _fallback(spec: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = spec.get(key, default)
    if value is None:
        return None
    if key == "currency":
        code = value.strip().upper() if isinstance(value, str) else None
        if code not in SUPPORTED_CURRENCIES:
            raise _fail(key, f"{value!r} is not an ISO 4217 code TikTok supports (e.g. 'USD')")
        return code
    if value not in ("product", "product_group"):
        raise _fail(key, f"must be 'product', 'product_group' or null, not {value!r}")
    return str(value)


def build_mappings(spec: object, *, auto_page_view: bool = True) -> MappingConfig:
    """Validate ``spec`` into a :class:`MappingConfig`; ``ValueError`` naming mapping and field.

    ``spec`` is ``None`` (the defaults), a :class:`MappingConfig`, a list of mappings (added to
    the defaults, replacing any of the same name) or a dict with the keys: ``set`` (the base:
    ``default``, ``segment``, ``tiktok_2025`` or ``none``), ``presets`` (names to switch on),
    ``disable`` (names to switch off), ``mappings`` (custom ones, or patches of active ones by
    name), ``currency`` and ``content_type`` (fallbacks; ``null`` for none).
    """
    if spec is None:
        config = DEFAULT_MAPPING_CONFIG
    elif isinstance(spec, MappingConfig):
        config = spec
    else:
        if isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
            spec = {"mappings": list(spec)}
        if not isinstance(spec, Mapping):
            raise _Invalid(
                "mappings must be an object (set, presets, disable, mappings, currency, "
                f"content_type) or a list of mappings, not {type(spec).__name__}"
            )
        config = _from_spec(spec)
    clash = page_view_mapping(config) if auto_page_view else None
    if clash is not None:
        raise _Invalid(
            f"mappings: mapping {clash!r}: field event: 'Pageview' for every page event and "
            "auto_page_view's ttq.page() would count each page view twice; set "
            "auto_page_view=False"
        )
    return config


def page_view_mapping(config: MappingConfig) -> str | None:
    """The name of a mapping that sends ``Pageview`` (which ``ttq.page()`` already counts)."""
    return next((m.name for m in config.mappings if m.event == "Pageview"), None)


def _from_spec(spec: Mapping[str, Any]) -> MappingConfig:
    unknown = sorted(str(k) for k in set(spec) - set(SPEC_KEYS))
    if unknown:
        raise _Invalid(
            f"mappings: unknown key(s) {', '.join(unknown)}; {_did_you_mean(unknown, SPEC_KEYS)}"
            f"known keys are {', '.join(SPEC_KEYS)}"
        )
    set_name = spec.get("set", "default")
    if set_name not in SETS:
        raise _fail(
            "set",
            f"{set_name!r} is not a set; {_did_you_mean([set_name], SETS)}"
            f"the sets are {', '.join(SETS)}",
        )
    active: dict[str, EventMapping] = {m.name: m for m in SETS[set_name]}
    for name in _names(spec, "presets"):
        if name not in PRESETS:
            raise _fail(
                "presets",
                f"{name!r} is not a preset; {_did_you_mean([name], PRESETS)}"
                f"the presets are {', '.join(PRESETS)}",
            )
        active[name] = PRESETS[name]
    for name in _names(spec, "disable"):
        if name not in active:
            raise _fail(
                "disable",
                f"{name!r} is not an active mapping; {_did_you_mean([name], active)}"
                f"active: {', '.join(active)}",
            )
        del active[name]
    customs = spec.get("mappings", [])
    if not isinstance(customs, list | tuple):
        raise _fail("mappings", "expected a list of mappings")
    for index, raw in enumerate(customs):
        mapping = _mapping(raw, index, active)
        active[mapping.name] = mapping
    return MappingConfig(
        mappings=tuple(active.values()),
        currency=_fallback(spec, "currency", DEFAULT_CURRENCY),
        content_type=_fallback(spec, "content_type", DEFAULT_CONTENT_TYPE),
    )
