"""Calls carried across a redirect in the session (post/redirect/get).

The session holds plain ``Call.to_dict()`` data. What comes back is checked before use: a session
value that is broken or was tampered with is ignored with one warning, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...calls import Call

#: The session key; private to this library.
SESSION_KEY = "_tiktok_pixel_calls"

#: At most this many calls wait in the session (a cookie session holds about 4 KB).
MAX_CARRIED = 20


def encode_calls(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """The session form of ``calls``."""
    return [call.to_dict() for call in calls]


def _checked(item: Any) -> Call:
    call = Call.from_dict(item)
    if call.pixel_code is not None:
        raise ValueError("a carried call has no pixel_code")
    if any(not isinstance(key, str) for key in call.params):
        raise ValueError("params keys must be strings")
    if call.method == "track":
        if not (isinstance(call.event, str) and call.event.strip()):
            raise ValueError("a track call needs an event name")
        if not isinstance(call.event_id, str):
            raise ValueError("a track call needs an event_id string")
    elif call.method == "identify":
        if call.event is not None or call.event_id is not None:
            raise ValueError("an identify call has no event")
        if not all(isinstance(value, str) for value in call.params.values()):
            raise ValueError("identify fields are strings")
    else:
        raise ValueError("only track and identify calls are carried")
    return call


def decode_calls(value: Any) -> tuple[list[Call], int]:
    """The calls in a session value, and how many entries were unreadable and left out."""
    if not isinstance(value, list):
        return [], 1
    calls: list[Call] = []
    bad = 0
    for item in value[:MAX_CARRIED]:
        try:
            calls.append(_checked(item))
        except (TypeError, ValueError):
            bad += 1
    return calls, bad + max(0, len(value) - MAX_CARRIED)
