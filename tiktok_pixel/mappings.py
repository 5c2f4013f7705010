"""Which Segment-spec events become which TikTok calls, and where each field comes from.

A :class:`EventMapping` says which events it subscribes to (event names, types, a predicate),
the TikTok event it sends, and where each parameter and identify field is read from: dotted
paths tried in order (``properties.value``, then ``properties.revenue``) or a callable. The
whole set in use is a frozen :class:`MappingConfig`, built once from a plain JSON-able spec by
:func:`build_mappings` so ``PixelConfig(mappings=...)``, Flask, Django and the CLI share it.

Mappings are keyed by name. The names of the built-in ones are the Segment event they listen
to (``order_completed``), so switching on a preset with the same name *replaces* the default
instead of sending a second TikTok event for the same Segment event.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .currencies import SUPPORTED_CURRENCIES
from .hashing import HASHED_FIELDS, IDENTITY_FIELDS
from .standard_events import KNOWN_EVENTS, similar_standard_event

Event = Mapping[str, Any]
Getter = Callable[[Event], Any]

_MISSING = object()
_PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PATH_PART = re.compile(r"[A-Za-z0-9_$-]+")
#: Names a param can never have: they are ``PageEvents.track`` arguments of their own.
_RESERVED_PARAMS = frozenset({"event", "event_id", "self"})
#: Param names refused because they would put raw PII on the page (city, state and country are
#: allowed: travel events send a hotel's city and country as params).
_PII_NAMES: dict[str, str] = {
    **{name: name for name in HASHED_FIELDS},
    "phone": "phone_number",
    "mail": "email",
    "e_mail": "email",
    "email_address": "email",
}
SEGMENT_TYPES = frozenset({"track", "page", "identify", "screen", "group", "alias"})


def resolve_path(event: object, path: tuple[str, ...]) -> Any:
    """The value at ``path`` inside ``event`` (dicts by key, lists by index), or ``_MISSING``."""
    value: Any = event
    for part in path:
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list | tuple) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


@dataclass(frozen=True)
class Source:
    """Where one field comes from: the first present of ``paths``, a constant, or ``func``.

    A path is "present" when it exists and is neither ``None`` nor ``""`` (``0`` and ``False``
    are values). A path that leads nowhere yields no field, never an error.
    """

    paths: tuple[tuple[str, ...], ...] = ()
    func: Getter | None = None
    const: Any = field(default=None, compare=False)
    #: ``const`` as canonical JSON, so sources with list or dict constants stay hashable.
    const_key: str = field(default="null", init=False, repr=False)

    def __post_init__(self) -> None:
        key = json.dumps(self.const, sort_keys=True, default=repr)
        object.__setattr__(self, "const_key", key)

    def get(self, event: Event) -> Any:
        """The value for ``event``, or ``None`` for no field. ``func`` may raise: callers catch."""
        if self.func is not None:
            return self.func(event)
        for path in self.paths:
            value = resolve_path(event, path)
            if value is not _MISSING and value is not None and value != "":
                return value
        return self.const

    def describe(self) -> str:
        if self.func is not None:
            return getattr(self.func, "__name__", "function")
        if self.paths:
            return " | ".join(".".join(p) for p in self.paths)
        return repr(self.const)


def path(*dotted: str) -> Source:
    """A source reading the first present of the dotted paths: ``path("properties.total")``."""
    return Source(paths=tuple(tuple(p.split(".")) for p in dotted))


def const(value: Any) -> Source:
    """A source that always yields ``value``."""
    return Source(const=value)


def _props_else_traits(key: str) -> Source:
    return path(f"properties.{key}", f"context.traits.{key}")


@dataclass(frozen=True)
class Contents:
    """``contents[]``: the object or list at ``path``, each item's keys read from ``item``."""

    path: tuple[str, ...]
    item: tuple[tuple[str, Source], ...]

    def items(self, event: Event) -> list[Any] | None:
        found = resolve_path(event, self.path)
        if isinstance(found, Mapping):
            found = [found]
        if not isinstance(found, list | tuple):
            return None
        out: list[Any] = []
        for raw in found:
            if not isinstance(raw, Mapping):
                out.append(raw)  # left for PageEvents.track to report and drop
                continue
            item = {key: source.get(raw) for key, source in self.item}
            item = {key: value for key, value in item.items() if value is not None}
            if item:
                out.append(item)
        return out or None


#: How a Segment product becomes a TikTok ``contents[]`` item (Segment's destination, current).
PRODUCT_ITEM: tuple[tuple[str, Source], ...] = (
    ("price", path("price")),
    ("quantity", path("quantity")),
    ("content_category", path("category")),
    ("content_id", path("product_id")),
    ("content_name", path("name")),
    ("brand", path("brand")),
)
#: Single-product events (Product Added, …): ``properties`` itself is the one item.
SINGLE_PRODUCT = Contents(("properties",), PRODUCT_ITEM)
#: Cart and order events (Checkout Started, …): ``properties.products[]``.
PRODUCT_LIST = Contents(("properties", "products"), PRODUCT_ITEM)

#: The params every track mapping reads unless it says otherwise (Segment's field defaults).
COMMON_PARAMS: tuple[tuple[str, Source], ...] = (
    ("value", path("properties.value", "properties.revenue")),
    ("currency", path("properties.currency")),
    ("content_type", path("properties.content_type")),
    ("content_ids", path("properties.content_ids")),
    ("num_items", path("properties.num_items")),
    ("query", path("properties.query")),
    ("search_string", path("properties.search_string")),
    ("description", path("properties.description")),
    ("order_id", path("properties.order_id")),
    ("shop_id", path("properties.shop_id")),
)

#: Identify fields of page/track events: ``properties``, else ``context.traits``.
TRACK_IDENTITY: tuple[tuple[str, Source], ...] = (
    ("email", _props_else_traits("email")),
    ("phone_number", _props_else_traits("phone")),
    ("external_id", path("userId", "anonymousId")),
    ("first_name", _props_else_traits("first_name")),
    ("last_name", _props_else_traits("last_name")),
    ("city", _props_else_traits("address.city")),
    ("state", _props_else_traits("address.state")),
    ("country", _props_else_traits("address.country")),
    ("zip_code", _props_else_traits("address.postal_code")),
)


def _traits(key: str) -> Source:
    return path(f"traits.{key}", f"context.traits.{key}")


#: Identify fields of identify events: ``traits``, else ``context.traits``.
IDENTIFY_IDENTITY: tuple[tuple[str, Source], ...] = (
    ("email", _traits("email")),
    ("phone_number", _traits("phone")),
    ("external_id", path("userId", "anonymousId")),
    ("first_name", _traits("first_name")),
    ("last_name", _traits("last_name")),
    ("city", _traits("address.city")),
    ("state", _traits("address.state")),
    ("country", _traits("address.country")),
    ("zip_code", _traits("address.postal_code")),
)


def _both_numbers(a: str, b: str, build: Callable[[Any, Any], Any]) -> Getter:
    def get(event: Event) -> Any:
        x = resolve_path(event, ("properties", a))
        y = resolve_path(event, ("properties", b))
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y))
        return build(x, y) if ok else None

    get.__name__ = f"{a}+{b}"
    return get


def _mileage(event: Event) -> Any:
    unit = resolve_path(event, ("properties", "mileage_unit"))
    number = resolve_path(event, ("properties", "mileage_value"))
    if isinstance(unit, str) and isinstance(number, int | float) and not isinstance(number, bool):
        return {"unit": unit, "value": number}
    return None


def _group(*names: str) -> tuple[tuple[str, Source], ...]:
    return tuple((name, path(f"properties.{name}")) for name in names)


#: Extra params for hotel and flight events, read from same-named properties (Segment's
#: "Travel Fields").
TRAVEL_FIELDS: tuple[tuple[str, Source], ...] = _group(
    "city",
    "region",
    "country",
    "checkin_date",
    "checkout_date",
    "num_adults",
    "num_children",
    "num_infants",
    "suggested_hotels",
    "departing_departure_date",
    "returning_departure_date",
    "origin_airport",
    "destination_airport",
    "destination_ids",
    "departing_arrival_date",
    "returning_arrival_date",
    "travel_class",
    "user_score",
    "preferred_num_stops",
    "travel_start",
    "travel_end",
    "suggested_destinations",
)

#: Extra params for vehicle events (Segment's "Vehicle Fields"). ``drivetrain`` is read from
#: ``properties.drive_train`` as Segment does; ``mileage`` and ``preferred_price_range`` are
#: built from two properties each and only sent when both parts are there.
VEHICLE_FIELDS: tuple[tuple[str, Source], ...] = (
    *_group(
        "postal_code",
        "make",
        "model",
        "year",
        "state_of_vehicle",
        "exterior_color",
        "transmission",
        "body_style",
        "fuel_type",
    ),
    ("drivetrain", path("properties.drive_train")),
    *_group(
        "trim",
        "vin",
        "interior_color",
        "condition_of_vehicle",
        "viewcontent_type",
        "search_type",
        "registration_type",
    ),
    ("mileage", Source(func=_mileage)),
    (
        "preferred_price_range",
        Source(
            func=_both_numbers(
                "preferred_price_range_min", "preferred_price_range_max", lambda a, b: [a, b]
            )
        ),
    ),
)

FIELD_GROUPS: dict[str, tuple[tuple[str, Source], ...]] = {
    "travel": TRAVEL_FIELDS,
    "vehicle": VEHICLE_FIELDS,
}


@dataclass(frozen=True)
class Subscription:
    """Which events a mapping takes: any of ``events`` (track names) or ``types``, and
    ``predicate`` if given. With both names and types, an event must match both."""

    events: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    predicate: Callable[[Event], bool] | None = None

    def matches(self, event: Event, kind: str) -> bool:
        """``predicate`` may raise; :func:`tiktok_pixel.segment.map_event` catches it."""
        name = event.get("event")
        if self.events and (not isinstance(name, str) or name not in self.events):
            return False
        if self.types and kind not in self.types:
            return False
        if not self.events and not self.types and self.predicate is None:
            return False
        return self.predicate is None or bool(self.predicate(event))

    def describe(self) -> str:
        parts = [f"type={t}" for t in sorted(self.types)]
        parts += [f"event={e!r}" for e in sorted(self.events)]
        if self.predicate is not None:
            parts.append(getattr(self.predicate, "__name__", "predicate"))
        return " and ".join(parts)


def on_event(*names: str) -> Subscription:
    return Subscription(events=frozenset(names))


def on_type(*types: str) -> Subscription:
    return Subscription(types=frozenset(types))


@dataclass(frozen=True)
class EventMapping:
    """One subscription and what it sends: ``event`` (``None``: identify only) with ``params``,
    ``identity``, ``contents`` and ``event_id`` read from the event.

    ``params`` and ``identity`` here are *overrides* on top of the common defaults
    (:data:`COMMON_PARAMS`, :data:`TRACK_IDENTITY`); a ``None`` source switches a field off.
    """

    name: str
    subscribe: Subscription
    event: str | None
    contents: Contents | None = None
    params: tuple[tuple[str, Source | None], ...] = ()
    identity: tuple[tuple[str, Source | None], ...] | None = None
    field_groups: tuple[str, ...] = ()
    event_id: Source | None = field(default_factory=lambda: path("messageId"))

    @cached_property
    def resolved_params(self) -> tuple[tuple[str, Source], ...]:
        """Every param source this mapping reads, in order: common, groups, own."""
        merged: dict[str, Source | None] = dict(COMMON_PARAMS) if self.event else {}
        for group in self.field_groups:
            merged.update(FIELD_GROUPS[group])
        merged.update(self.params)
        return tuple((k, v) for k, v in merged.items() if v is not None)

    @cached_property
    def resolved_identity(self) -> tuple[tuple[str, Source], ...]:
        base = TRACK_IDENTITY if self.event else IDENTIFY_IDENTITY
        merged: dict[str, Source | None] = dict(base)
        merged.update(self.identity or ())
        return tuple((k, v) for k, v in merged.items() if v is not None)


def _track(
    name: str, subscribe: Subscription, event: str, contents: Contents | None = None
) -> EventMapping:
    return EventMapping(name, subscribe, event, contents)


# ---------------------------------------------------------------------------------------------
# The default mappings: Segment's TikTok Pixel destination as the issue (and Segment's original
# preset list) has them. On unless switched off. THIS is the one list to read.
# ---------------------------------------------------------------------------------------------
DEFAULT_MAPPINGS: tuple[EventMapping, ...] = (
    _track("page", on_type("page"), "ViewContent", SINGLE_PRODUCT),
    _track("products_searched", on_event("Products Searched"), "Search", SINGLE_PRODUCT),
    _track(
        "product_added_to_wishlist",
        on_event("Product Added to Wishlist"),
        "AddToWishlist",
        SINGLE_PRODUCT,
    ),
    _track("product_added", on_event("Product Added"), "AddToCart", SINGLE_PRODUCT),
    _track("checkout_started", on_event("Checkout Started"), "InitiateCheckout", PRODUCT_LIST),
    _track(
        "payment_info_entered", on_event("Payment Info Entered"), "AddPaymentInfo", PRODUCT_LIST
    ),
    _track("order_completed", on_event("Order Completed"), "PlaceAnOrder", PRODUCT_LIST),
)

#: Identify events become ``ttq.identify``. On in every set; switch off with ``"identify"``.
IDENTIFY_MAPPING = EventMapping("identify", on_type("identify"), None, event_id=None)

# The preset catalogue of Segment's current TikTok Pixel destination (2024-2026 snapshots of
# segmentio/action-destinations). Off by default; switched on by name. A preset with the name
# of a default replaces it.
_PAGEVIEW = _track("page", on_type("page"), "Pageview")
PRESETS: dict[str, EventMapping] = {
    m.name: m
    for m in (
        # "Pageview on load": Segment's Pageview preset (PR #2377). Its exact subscription is not
        # in the snapshots we read [U]; we take type=page. Needs auto_page_view=False.
        _PAGEVIEW,
        _track("order_completed", on_event("Order Completed"), "CompletePayment", PRODUCT_LIST),
        _track("order_placed", on_event("Order Placed"), "PlaceAnOrder", PRODUCT_LIST),
        _track("product_viewed", on_event("Product Viewed"), "ViewContent", SINGLE_PRODUCT),
        _track("product_clicked", on_event("Product Clicked"), "ClickButton", SINGLE_PRODUCT),
        _track("callback_started", on_event("Callback Started"), "Contact"),
        _track("subscription_created", on_event("Subscription Created"), "Subscribe"),
        _track("form_submitted", on_event("Form Submitted"), "SubmitForm"),
        _track("download_link_clicked", on_event("Download Link Clicked"), "Download"),
        _track("signed_up", on_event("Signed Up"), "CompleteRegistration"),
        *DEFAULT_MAPPINGS[1:6],  # Search … AddPaymentInfo: the same in the current catalogue
    )
}

#: TikTok's 2025 names (CompletePayment → Purchase, SubmitForm → Lead). ClickButton and
#: PlaceAnOrder have no current name and are sunset in 2027, so this set leaves them out.
_RENAMES = {"CompletePayment": "Purchase", "SubmitForm": "Lead"}
_SUNSET_PRESETS = ("page", "product_clicked", "order_placed")

#: Named sets: the base a configuration starts from.
SETS: dict[str, tuple[EventMapping, ...]] = {
    "default": (*DEFAULT_MAPPINGS, IDENTIFY_MAPPING),
    # Segment's current destination. Its Pageview preset is left out: our loader already calls
    # ttq.page() on every page (switch it on alone, with auto_page_view=False).
    "segment": (*(m for n, m in PRESETS.items() if n != "page"), IDENTIFY_MAPPING),
    "tiktok_2025": (
        *(
            replace(m, event=_RENAMES.get(m.event or "", m.event))
            for n, m in PRESETS.items()
            if n not in _SUNSET_PRESETS
        ),
        IDENTIFY_MAPPING,
    ),
    "none": (),
}

DEFAULT_CURRENCY = "USD"
DEFAULT_CONTENT_TYPE = "product"


@dataclass(frozen=True)
class MappingConfig:
    """The mappings in use, in order, and the ``currency``/``content_type`` fallbacks
    (``None``: no fallback). Built by :func:`build_mappings`; frozen and hashable."""

    mappings: tuple[EventMapping, ...] = SETS["default"]
    currency: str | None = DEFAULT_CURRENCY
    content_type: str | None = DEFAULT_CONTENT_TYPE

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.mappings)

    def get(self, name: str) -> EventMapping | None:
        return next((m for m in self.mappings if m.name == name), None)


DEFAULT_MAPPING_CONFIG = MappingConfig()

# ---------------------------------------------------------------------------------------------
# Building a MappingConfig from a spec (dict/list from JSON or Python objects).
# ---------------------------------------------------------------------------------------------
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
            if not all(_PATH_PART.fullmatch(p) for p in parts):
                raise _fail(where, f"{item!r} is not a dotted path like 'properties.total'")
            paths.append(parts)
        return Source(paths=tuple(paths))
    raise _fail(
        where,
        'expected a dotted path, a list of fallback paths, {"value": constant}, a function or '
        f"null, not {value!r}",
    )


def _check_param_name(key: object, where: str) -> str:
    if not isinstance(key, str) or not _PARAM_NAME.fullmatch(key) or key in _RESERVED_PARAMS:
        raise _fail(
            where, f"{key!r} is not a param name (lowercase snake_case, not event/event_id)"
        )
    close = difflib.get_close_matches(key, _PII_NAMES, n=1, cutoff=0.8)
    if close:
        # a typo here would put raw PII on the page as a custom param
        raise _fail(
            where,
            f"{key!r} looks like the identify field {_PII_NAMES[close[0]]!r}; identify fields go "
            "under 'identity', where they are hashed",
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
            merged = dict(PRODUCT_ITEM)
            merged.update(_fields(value["item"], f"{where}.item", _check_param_name))
            item = tuple((k, v) for k, v in merged.items() if v is not None)
        value = value["path"]
    if isinstance(value, str) and all(_PATH_PART.fullmatch(p) for p in value.split(".")):
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
    if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
        raise _fail(f"mappings[{index}]", f"'name' must be a snake_case string, not {name!r}")
    where = f"mapping {name!r}"
    unknown = sorted(set(raw) - set(MAPPING_KEYS))
    if unknown:
        raise _fail(
            where, f"unknown field(s) {', '.join(unknown)}; known: {', '.join(MAPPING_KEYS)}"
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
    if not auto_page_view:
        return config
    for mapping in config.mappings:
        if mapping.event == "Pageview":
            raise _Invalid(
                f"mappings: mapping {mapping.name!r}: field event: 'Pageview' for every page "
                "event and auto_page_view's ttq.page() would count each page view twice; set "
                "auto_page_view=False"
            )
    return config


def _from_spec(spec: Mapping[str, Any]) -> MappingConfig:
    unknown = sorted(str(k) for k in set(spec) - set(SPEC_KEYS))
    if unknown:
        raise _Invalid(
            f"mappings: unknown key(s) {', '.join(unknown)}; known keys are {', '.join(SPEC_KEYS)}"
        )
    set_name = spec.get("set", "default")
    if set_name not in SETS:
        raise _fail("set", f"{set_name!r} is not a set; the sets are {', '.join(SETS)}")
    active: dict[str, EventMapping] = {m.name: m for m in SETS[set_name]}
    for name in _names(spec, "presets"):
        if name not in PRESETS:
            raise _fail(
                "presets", f"{name!r} is not a preset; the presets are {', '.join(PRESETS)}"
            )
        active[name] = PRESETS[name]
    for name in _names(spec, "disable"):
        if name not in active:
            raise _fail(
                "disable", f"{name!r} is not an active mapping; active: {', '.join(active)}"
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
