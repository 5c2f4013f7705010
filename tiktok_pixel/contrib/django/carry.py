"""Calls carried across a redirect in the session (post/redirect/get).

A request that ends in a redirect (add to cart, place order) stores its calls as
``Call.to_dict()`` data; the next HTML page that renders the pixel shows them, once. Only hashed
identify fields are ever stored, never raw PII. A session value this code did not write (or an
older, incompatible one) is dropped with one warning: it must never break the page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ...calls import Call

logger = logging.getLogger("tiktok_pixel")

SESSION_KEY = "_tiktok_pixel_calls"

#: Upper bound on carried calls, so a redirect loop cannot grow the session without end.
MAX_CARRIED = 50


def session_of(request: Any) -> Any:
    """The request's session, or ``None`` without ``SessionMiddleware``."""
    return getattr(request, "session", None)


def may_carry(request: Any) -> bool:
    """Whether the session can hold carried calls: only if the browser sent a session cookie.

    Without one the session is left untouched, so a page that carries nothing does not get
    ``Vary: Cookie`` from ``SessionMiddleware`` (which would keep shared caches from storing it).
    """
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME in getattr(request, "COOKIES", {})


def load_carried(session: Any) -> list[Call]:
    """The calls a previous request left in ``session``; bad entries are dropped with a warning."""
    if session is None:
        return []
    raw = session.get(SESSION_KEY)
    if raw is None:
        return []
    calls: list[Call] = []
    bad = 0
    items = raw if isinstance(raw, list) else [None]
    for item in items[:MAX_CARRIED]:
        try:
            call = Call.from_dict(item)
            if call.method not in ("track", "identify"):
                raise ValueError("not a track or identify call")
            if call.method == "track" and not isinstance(call.event, str):
                raise ValueError("a track call needs an event name")
            if not all(isinstance(key, str) for key in call.params):
                raise ValueError("params keys must be strings")
        except (TypeError, ValueError):
            bad += 1
            continue
        calls.append(call)
    if bad or len(items) > MAX_CARRIED:
        logger.warning(
            "TikTok pixel: %d unreadable or surplus call(s) in the session key %r were dropped",
            bad + max(0, len(items) - MAX_CARRIED),
            SESSION_KEY,
        )
    return calls


def store_carried(session: Any, calls: Sequence[Call]) -> None:
    """Keep ``calls`` for the next page (the most recent ``MAX_CARRIED``), or clear the key."""
    if session is None:
        return
    if calls:
        data = [call.to_dict() for call in calls[-MAX_CARRIED:]]
        if session.get(SESSION_KEY) != data:  # write (and save the session) only on change
            session[SESSION_KEY] = data
    elif SESSION_KEY in session:
        del session[SESSION_KEY]
