"""Build Events API 2.0 events and request bodies from the pixel's own calls.

A server event must match its pixel twin exactly for TikTok to deduplicate it: same pixel code,
same ``event`` and same ``event_id`` (facts sheet section 6). So the events here are built from
the very :class:`~tiktok_pixel.calls.Call` objects the page renders, and the ``user`` fields are
the identify fields the page carries, hashed once by :mod:`tiktok_pixel.hashing`. Only the key of
the phone differs: the pixel says ``phone_number``, the Events API ``phone``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..calls import Call
from ..hashing import IDENTITY_FIELDS
from ..jsonsafe import clean_json
from ..pii_policy import PrivacySettings, redact_page
from .request import RequestInfo

logger = logging.getLogger(__name__)

#: Pixel identify key -> Events API ``user`` key, where they differ.
USER_KEYS: dict[str, str] = {"phone_number": "phone"}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
#: Every digit made "0", so a run of 16 digits (a number that may be beyond ±2**53, which has
#: 16) is found by ``bytes.find``: ~20x faster than a regular expression over a 400 KB body.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN = b"0" * 16


def _may_hold_unsafe_int(data: bytes) -> bool:
    """Whether encoded JSON may hold an integer beyond ±2**53 (then the exact check runs).

    A JSON number starts after ``:``, ``[`` or ``,`` (and an optional ``-``); a run of digits
    inside a string (a hash, an id) mostly follows something else. A false alarm only costs the
    exact check.
    """
    zeros = data.translate(_DIGITS_TO_ZERO)
    found = zeros.find(_RUN)
    while found >= 0:
        at = found - 1
        if at >= 0 and data[at] == 0x2D:  # "-"
            at -= 1
        if at >= 0 and data[at] in b":[,":
            return True
        end = found + 16
        while end < len(zeros) and zeros[end] == 0x30:  # skip the rest of this run
            end += 1
        found = zeros.find(_RUN, end)
    return False


def user_from_identity(identity: Mapping[str, str]) -> dict[str, str]:
    """Identify fields (already normalised and hashed) under their Events API ``user`` keys."""
    return {USER_KEYS.get(key, key): value for key, value in identity.items() if value}


def api_event(
    event: str,
    event_id: str,
    *,
    event_time: int | float | None = None,
    properties: Mapping[str, Any] | None = None,
    identity: Mapping[str, str] | None = None,
    request: RequestInfo | None = None,
    limited_data_use: bool = False,
    privacy: PrivacySettings | None = None,
) -> dict[str, Any]:
    """One ``data[]`` item.

    ``identity`` holds identify fields under the pixel's keys, already hashed (as returned by
    ``PageEvents.identify`` or :func:`tiktok_pixel.hash_identity`); ``event_time`` is Unix
    seconds (default: now) and is sent as an integer. Personal data in ``page.url`` and
    ``page.referrer`` is replaced by ``privacy``'s policy (default: hashed).
    """
    user: dict[str, str] = user_from_identity(identity) if identity else {}
    if request is not None:
        user.update(request.user_fields())
    item: dict[str, Any] = {
        "event": event,
        "event_time": int(time.time() if event_time is None else event_time),
        "event_id": str(event_id),
        "user": user,
    }
    if properties:
        item["properties"] = with_item_content_type(properties)
    if request is not None:
        page = redact_page(request.page_fields(), privacy, event)
        if page:
            item["page"] = page
    if limited_data_use:
        item["limited_data_use"] = True
    return item


def with_item_content_type(properties: Mapping[str, Any]) -> dict[str, Any]:
    """``properties`` with the event's ``content_type`` copied onto each ``contents[]`` item.

    TikTok's own server-side template sets it on every item as well as at the top; an item that
    has its own ``content_type`` keeps it.
    """
    props = dict(properties)
    content_type = props.get("content_type")
    contents = props.get("contents")
    if content_type and isinstance(contents, list | tuple):
        props["contents"] = [
            {**item, "content_type": item.get("content_type") or content_type}
            if isinstance(item, Mapping)
            else item
            for item in contents
        ]
    return props


def page_identity(calls: Iterable[Call]) -> dict[str, str]:
    """The identify fields a page's tracks carry: every identify call merged, later wins.

    The page renders identify calls before its tracks (``render.page_order``), so each track on
    the page goes out with all of them; the server events do the same.
    """
    identity: dict[str, str] = {}
    for call in calls:
        if call.method == "identify":
            for key, value in call.params.items():
                if key in IDENTITY_FIELDS and isinstance(value, str):
                    identity[key] = value
    return identity


def events_from_calls(
    calls: Sequence[Call],
    *,
    request: RequestInfo | None = None,
    event_time: int | float | None = None,
    limited_data_use: bool = False,
    identity: Mapping[str, str] | None = None,
    privacy: PrivacySettings | None = None,
) -> list[tuple[str | None, dict[str, Any]]]:
    """``(pixel_code, data item)`` for every track call; ``pixel_code`` None means every pixel.

    ``identity`` (hashed, pixel keys) is merged under the page's own identify calls.
    """
    merged = {**(identity or {}), **page_identity(calls)}
    when = int(time.time() if event_time is None else event_time)
    out = []
    for call in calls:
        if call.method != "track" or not call.event or not call.event_id:
            continue
        out.append(
            (
                call.pixel_code,
                api_event(
                    call.event,
                    call.event_id,
                    event_time=when,
                    properties=call.params,
                    identity=merged,
                    request=request,
                    limited_data_use=limited_data_use,
                    privacy=privacy,
                ),
            )
        )
    return out


def request_body(
    pixel_code: str, data: Sequence[Mapping[str, Any]], *, test_event_code: str | None = None
) -> dict[str, Any]:
    """The JSON body of one ``event/track`` request for ``pixel_code``."""
    body: dict[str, Any] = {"event_source": "web", "event_source_id": pixel_code, "data": data}
    if test_event_code:
        body["test_event_code"] = test_event_code
    return body


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities are refused (``ValueError``)."""
    return _dumps(body).encode("utf-8")


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One ``data[]`` item as compact UTF-8 JSON that every reader takes.

    Each event is encoded on its own before it joins a batch, so no event can make another
    fail. A lone surrogate is replaced by U+FFFD, an integer beyond ±2**53, NaN, infinity or a
    value JSON cannot hold is left out (:mod:`tiktok_pixel.jsonsafe`), with one warning per
    event naming the fields (never their values). Only a non-mapping raises (``TypeError``).
    """
    if not isinstance(event, Mapping):
        raise TypeError(f"an event must be a dict, not {type(event).__name__}")
    try:
        data = _dumps(event).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        pass
    else:
        if not _may_hold_unsafe_int(data):
            return data
    notes: list[str] = []
    cleaned: dict[str, Any] = clean_json(event, "", notes)  # a Mapping gives a dict
    if notes:
        name = cleaned.get("event")
        logger.warning(
            "TikTok Events API event %r: %s",
            name if isinstance(name, str) else None,
            "; ".join(notes),
        )
    return _dumps(cleaned).encode("utf-8")


def encode_batch(
    pixel_code: str,
    events: Iterable[Mapping[str, Any] | bytes],
    *,
    test_event_code: str | None = None,
) -> bytes:
    """The body of one request: :func:`request_body` with each event from :func:`encode_event`.

    Items that are ``bytes`` are taken as already encoded by :func:`encode_event`. The whole
    list is tried in one go first (the common case, as fast as :func:`encode_body`); only a batch
    that fails or may hold an unsafe number is encoded event by event.
    """
    head = {"event_source": "web", "event_source_id": pixel_code}
    if test_event_code:
        head["test_event_code"] = test_event_code
    start = _dumps(head)[:-1].encode("utf-8") + b',"data":'
    items = events if isinstance(events, list | tuple) else list(events)
    if all(type(e) is dict for e in items):
        try:
            data = _dumps(items).encode("utf-8")
        except (TypeError, ValueError, RecursionError):
            pass
        else:
            if not _may_hold_unsafe_int(data):
                return start + data + b"}"
    encoded = b",".join(e if isinstance(e, bytes) else encode_event(e) for e in items)
    return start + b"[" + encoded + b"]}"
