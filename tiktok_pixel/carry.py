"""Calls carried across a redirect (post/redirect/get): their stored form, limit and checks.

A request that ends in a redirect (add to cart, place order) keeps its calls as
``Call.to_dict()`` data in a signed cookie of ours (:mod:`tiktok_pixel.carry_cookie`), and the
next HTML page renders them once. Only what the collector queued is ever stored: track calls with
their event names and ids, identify calls with hashed fields, never raw PII. What comes back
crossed a trust boundary (a browser, an older release's data), so each entry is checked
(:func:`checked`); a value holding one that is refused is ignored with one warning, never an
error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from .calls import Call, track_call

logger = logging.getLogger(__name__)

#: At most this many calls wait; the most recent are kept. A post/redirect/get carries a
#: handful; the bound stops a redirect loop from growing the cookie, which must stay under the
#: 4 KB browsers allow per cookie: 20 calls (identify + track pairs) take about 1.2 KB there.
MAX_CARRIED = 20


def encode(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """The stored form of ``calls``."""
    return [call.to_dict() for call in calls]


def checked(item: Any) -> Call:
    """The call a stored entry holds; ``ValueError`` for anything the collector would not queue."""
    if not isinstance(item, dict):
        raise ValueError("a carried call is an object")
    params = item.get("params", {})
    if not isinstance(params, dict):
        raise ValueError("a call's 'params' must be an object")
    if item.get("pixel_code") is not None:
        raise ValueError("a carried call has no pixel_code")
    if any(not isinstance(key, str) for key in params):
        raise ValueError("params keys must be strings")
    method, event, event_id = item.get("method"), item.get("event"), item.get("event_id")
    if method == "track":
        if not (isinstance(event, str) and event.strip()):
            raise ValueError("a track call needs an event name")
        # the collector always gives one, and the Events API deduplicates by it
        if not (isinstance(event_id, str) and event_id.strip()):
            raise ValueError("a track call needs an event_id string")
        return track_call(event, params, event_id)
    if method == "identify":
        if event is not None or event_id is not None:
            raise ValueError("an identify call has no event")
        if not all(isinstance(value, str) for value in params.values()):
            raise ValueError("identify fields are strings")
        return Call("identify", None, params)
    raise ValueError("only track and identify calls are carried")


def merge(waiting: Any, calls: Iterable[Call]) -> list[dict[str, Any]]:
    """The stored form of what was ``waiting`` (stored entries) plus ``calls``, within the limit.

    The oldest entries are dropped first, with a warning.
    """
    kept = waiting if isinstance(waiting, list) else []
    merged = [*kept, *encode(calls)]
    if len(merged) > MAX_CARRIED:
        logger.warning(
            "TikTok pixel: more than %d calls carried across redirects; the oldest %d were dropped",
            MAX_CARRIED,
            len(merged) - MAX_CARRIED,
        )
        merged = merged[-MAX_CARRIED:]
    return merged
