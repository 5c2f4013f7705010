"""Build Events API 2.0 events and request bodies from the pixel's own calls.

A server event must match its pixel twin exactly for TikTok to deduplicate it: same pixel code,
same ``event`` and same ``event_id`` (facts sheet section 6). So the events here are built from
the very :class:`~tiktok_pixel.calls.Call` objects the page renders, and the ``user`` fields are
the identify fields the page carries, hashed once by :mod:`tiktok_pixel.hashing`. Only the key of
the phone differs: the pixel says ``phone_number``, the Events API ``phone``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..calls import Call
from ..hashing import IDENTITY_FIELDS
from ..pii_policy import PrivacySettings, redact_page
from .request import RequestInfo

#: Pixel identify key -> Events API ``user`` key, where they differ.
USER_KEYS: dict[str, str] = {"phone_number": "phone"}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


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
        item["properties"] = dict(properties)
    if request is not None:
        page = redact_page(request.page_fields(), privacy, event)
        if page:
            item["page"] = page
    if limited_data_use:
        item["limited_data_use"] = True
    return item


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
