"""Turn one Segment-spec event (``track``, ``page``, ``identify`` …) into TikTok calls, as data.

:func:`map_event` is the one place where a Segment event meets the configured mappings. It
returns :class:`MappedEvent` values: the TikTok event, its raw params, the raw (unhashed)
identify fields and the ids. ``PageEvents.segment`` queues them on the page, hashing the
identity there; a server-side sender hashes them itself. Bad event data never raises: it is
left out with one logged warning naming the event and field, never a value.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from .hashing import IDENTITY_FIELDS
from .mappings import SEGMENT_TYPES, EventMapping, MappingConfig
from .params import to_text

if TYPE_CHECKING:
    from .config import PixelConfig

logger = logging.getLogger(__name__)

#: Types a Segment source sends that have no TikTok counterpart: accepted, nothing sent.
IGNORED_TYPES = frozenset({"screen", "group", "alias"})
#: The identify fields whose presence makes a page/track mapping queue ``identify`` first.
MATCH_KEYS = ("email", "phone_number", "external_id")


@dataclass(frozen=True)
class MappedEvent:
    """One TikTok call a Segment event maps to.

    ``event`` is the TikTok event name (``None`` for an identify-only result); ``params`` are the
    raw track params (before coercion); ``identity`` holds the nine identify keys, raw and
    unhashed, ``None`` where absent; ``event_id`` comes from ``messageId``; ``timestamp`` is the
    event's ``timestamp`` (for the Events API); ``source`` names the Segment event, for messages.
    """

    event: str | None
    params: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    timestamp: str | None = None
    source: str = ""

    def has_match_keys(self) -> bool:
        """True if ``identity`` has an email, phone number or external id to match on."""
        return any(self.identity.get(key) not in (None, "") for key in MATCH_KEYS)


def _kind(event: Mapping[str, Any]) -> str | None:
    kind = event.get("type")
    if kind is None and isinstance(event.get("event"), str):
        return "track"  # lenient: a bare {"event": …, "properties": …} is a track call
    return kind.strip().lower() if isinstance(kind, str) else None


def _source_name(event: Mapping[str, Any], kind: str | None) -> str:
    name = event.get("event")
    if kind == "track" and isinstance(name, str) and name:
        return name
    return kind or "event"


def _first(value: Any) -> Any:
    """Segment lets email/phone (and ids) be arrays: the first usable one is used."""
    if isinstance(value, list | tuple):
        return next((v for v in value if v not in (None, "")), None)
    return value


class _Reader:
    """Reads fields of one event for one mapping, collecting problems (field names only)."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.problems: list[str] = []

    def get(self, name: str, source: Any) -> Any:
        try:
            return source.get(self.event)
        except Exception as exc:  # a user's callable; its message might quote PII
            self.problems.append(f"{name}: the mapping function raised {type(exc).__name__}")
            return None


def _map_one(
    mapping: EventMapping,
    event: Mapping[str, Any],
    reader: _Reader,
    settings: MappingConfig,
    source: str,
) -> MappedEvent:
    params: dict[str, Any] = {}
    if mapping.event is not None:
        if mapping.contents is not None:
            try:
                contents = mapping.contents.items(event)
            except Exception as exc:
                reader.problems.append(f"contents: the mapping raised {type(exc).__name__}")
                contents = None
            if contents:
                params["contents"] = contents
        for name, param_source in mapping.resolved_params:
            value = reader.get(name, param_source)
            if value is not None:
                params[name] = value
        if "currency" not in params and settings.currency:
            params["currency"] = settings.currency
        if "content_type" not in params and settings.content_type:
            params["content_type"] = settings.content_type
    identity: dict[str, Any] = dict.fromkeys(IDENTITY_FIELDS)
    for name, id_source in mapping.resolved_identity:
        value = _first(reader.get(name, id_source))
        if isinstance(value, Mapping | list | tuple | bool):
            reader.problems.append(f"{name} is not a string")
            value = None
        identity[name] = value
    event_id = None
    if mapping.event_id is not None:
        raw_id = reader.get("event_id", mapping.event_id)
        event_id = to_text(raw_id) if raw_id is not None else None
        if raw_id is not None and not event_id:
            reader.problems.append("event_id (messageId) is not a string")
    timestamp = event.get("timestamp")
    if isinstance(timestamp, date):  # analytics-python hands over datetime objects
        timestamp = timestamp.isoformat()
    return MappedEvent(
        event=mapping.event,
        params=params,
        identity=identity,
        event_id=event_id or None,
        timestamp=timestamp if isinstance(timestamp, str) else None,
        source=source,
    )


def map_event(event: Mapping[str, Any], config: PixelConfig | MappingConfig) -> list[MappedEvent]:
    """The TikTok calls ``event`` maps to under ``config``'s mappings, in mapping order.

    Pure apart from logging: returns ``[]`` (with a warning) for an event that is not an object,
    has an unknown type or ``properties`` that is not an object; ``screen``, ``group`` and
    ``alias`` events map to nothing, silently. Field problems are logged once per event.
    """
    settings = config if isinstance(config, MappingConfig) else config.mappings
    if not isinstance(event, Mapping):
        logger.warning("Segment event dropped: expected an object, not %s", type(event).__name__)
        return []
    kind = _kind(event)
    source = _source_name(event, kind)
    if kind in IGNORED_TYPES:
        return []
    if kind not in SEGMENT_TYPES:
        logger.warning(
            "Segment event %r dropped: type %s is not a Segment type (track, page, identify)",
            source,
            repr(kind) if kind else "is missing",
        )
        return []
    for part in ("properties", "traits", "context"):
        value = event.get(part)
        if value is not None and not isinstance(value, Mapping):
            logger.warning(
                "Segment event %r: %s is not an object; the event was dropped", source, part
            )
            return []
    reader = _Reader(event)
    results: list[MappedEvent] = []
    for mapping in settings.mappings:
        try:
            matched = mapping.subscribe.matches(event, kind)
        except Exception as exc:
            reader.problems.append(
                f"mapping {mapping.name!r}: its predicate raised {type(exc).__name__}"
            )
            continue
        if matched:
            results.append(_map_one(mapping, event, reader, settings, source))
    if reader.problems:
        logger.warning(
            "Segment event %r: %s; left out (values withheld)",
            source,
            "; ".join(dict.fromkeys(reader.problems)),
        )
    return results
