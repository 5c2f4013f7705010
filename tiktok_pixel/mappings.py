"""Which Segment-spec events become which TikTok calls, and where each field comes from.

A :class:`EventMapping` says which events it subscribes to (event names, types, a predicate),
the TikTok event it sends, and where each parameter and identify field is read from: dotted
paths tried in order (``properties.value``, then ``properties.revenue``) or a callable. The
whole set in use is a frozen :class:`MappingConfig`, built once from a plain JSON-able spec by
:func:`tiktok_pixel.mapping_spec.build_mappings` so ``PixelConfig(mappings=...)``, Flask, Django and
the CLI share it. This module holds the model and the built-in catalogue.

Mappings are keyed by name. The names of the built-in ones are the Segment event they listen
to (``order_completed``), so switching on a preset with the same name *replaces* the default
instead of sending a second TikTok event for the same Segment event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .hashing import HASHED_FIELDS

Event = Mapping[str, Any]
Getter = Callable[[Event], Any]

_MISSING = object()
PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
PATH_PART = re.compile(r"[A-Za-z0-9_$-]+")
#: Names a param can never have: they are ``PageEvents.track`` arguments of their own.
RESERVED_PARAMS = frozenset({"event", "event_id", "self"})
#: Param names refused because they would put raw PII on the page (city, state and country are
#: allowed: travel events send a hotel's city and country as params).
PII_PARAM_NAMES: dict[str, str] = {
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
        # dict first: the ABC check for Mapping is several times slower, and events are dicts
        if isinstance(value, dict) or isinstance(value, Mapping):  # noqa: SIM101
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
    (``None``: no fallback). Built by :func:`~tiktok_pixel.mapping_spec.build_mappings`;
    frozen and hashable."""

    mappings: tuple[EventMapping, ...] = SETS["default"]
    currency: str | None = DEFAULT_CURRENCY
    content_type: str | None = DEFAULT_CONTENT_TYPE

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.mappings)

    def get(self, name: str) -> EventMapping | None:
        return next((m for m in self.mappings if m.name == name), None)


DEFAULT_MAPPING_CONFIG = MappingConfig()
