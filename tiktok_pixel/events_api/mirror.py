"""``EventsApiMirror``: send every ``track`` of a page to the Events API too, deduplicated.

This is the one piece the Flask and Django integrations call: at the end of a request they hand
over the request's :class:`~tiktok_pixel.PageEvents` and WSGI environ, and each track call is
queued as a server event with the SAME ``event_id`` the pixel renders, the page's identify data
(hashed once, the same way) and the visitor's IP, user agent, ``_ttp`` cookie and ``ttclid``.
TikTok then keeps one of the two (merged within 5 minutes, deduplicated within 48 hours), and an
ad blocker that stops the pixel no longer loses the event.

Mirroring never raises into the page and never waits for the network: the events go to a
:class:`~tiktok_pixel.events_api.sender.BackgroundSender` (in this process, or publishing to
Celery with ``backend="celery"``).
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from ..calls import Call
from ..collector import PageEvents
from ..config import PixelConfig
from .payload import events_from_calls
from .request import RequestInfo
from .sender import BackgroundSender, SenderStats
from .settings import EventsApiConfig

logger = logging.getLogger(__name__)

#: How many recent event_ids the mirror remembers to avoid sending a carried-over call twice
#: (a call carried across a redirect comes back one request later; ~2 MB at most).
SEEN_IDS = 10_000


class EventsApiMirror:
    """Queues a page's track calls for the Events API.

    >>> mirror = EventsApiMirror(pixel_config, EventsApiConfig())  # doctest: +SKIP
    >>> mirror.mirror(page_events, request.environ)  # doctest: +SKIP

    ``sender`` defaults to the backend ``api_config.backend`` names, started lazily (the thread
    starts with the first event, so a pre-forking server's master starts none).
    """

    def __init__(
        self,
        pixel_config: PixelConfig,
        api_config: EventsApiConfig,
        *,
        sender: BackgroundSender | None = None,
    ) -> None:
        codes = api_config.pixel_codes or pixel_config.pixel_codes
        if not codes:
            raise ValueError(
                "the TikTok Events API needs a pixel code: with use_existing_pixel and no "
                "pixel_codes, set the events API option PIXEL_CODES"
            )
        self.pixel_config = pixel_config
        self.api_config = api_config
        self.pixel_codes: tuple[str, ...] = codes
        self.limited_data_use = (
            pixel_config.limited_data_use
            if api_config.limited_data_use is None
            else api_config.limited_data_use
        )
        self.sender = sender if sender is not None else make_sender(api_config)
        self._seen: collections.OrderedDict[tuple[str, str], None] = collections.OrderedDict()
        self._seen_lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _fresh_lock(ref))

    def __repr__(self) -> str:
        return f"<EventsApiMirror {', '.join(self.pixel_codes)} via {self.api_config.backend}>"

    def request_info(self, environ: Mapping[str, Any]) -> RequestInfo:
        """:class:`RequestInfo` from a WSGI environ, trusting ``proxy_hops`` proxies."""
        return RequestInfo.from_wsgi_environ(environ, proxy_hops=self.api_config.proxy_hops)

    def mirror(
        self,
        page: PageEvents | Iterable[Call],
        request: RequestInfo | Mapping[str, Any] | None = None,
        *,
        consent_granted: bool | None = None,
        identity: Mapping[str, str] | None = None,
        event_time: float | None = None,
    ) -> int:
        """Queue every track call of ``page``; returns how many server events were queued.

        ``request`` is a :class:`RequestInfo` or a WSGI environ. With ``consent="hold"`` in the
        pixel settings, nothing is sent unless ``consent_granted`` is True: the server must
        respect the visitor's choice exactly like the pixel does. ``identity`` adds identify
        fields (already hashed, pixel keys) to those of the page's own identify calls.
        Never raises: a problem is logged (without PII) and 0 returned.
        """
        try:
            if self.pixel_config.consent == "hold" and consent_granted is not True:
                return 0
            calls = page.calls if isinstance(page, PageEvents) else tuple(page)
            if not any(call.method == "track" for call in calls):
                return 0
            info = request
            if info is not None and not isinstance(info, RequestInfo):
                info = self.request_info(info)
            items = events_from_calls(
                calls,
                request=info,
                event_time=event_time,
                limited_data_use=self.limited_data_use,
                identity=identity,
                privacy=self.pixel_config.privacy,
            )
            queued = 0
            for pixel_code, event in items:
                for code in (pixel_code,) if pixel_code else self.pixel_codes:
                    if self._first_time(code, event["event_id"]):
                        queued += self.sender.enqueue(code, event)
            return queued
        except Exception as exc:
            logger.warning(
                "TikTok Events API: could not mirror the page's events (%s)", type(exc).__name__
            )
            return 0

    def _first_time(self, pixel_code: str, event_id: str) -> bool:
        """False for an event_id already mirrored (a call carried across a redirect)."""
        key = (pixel_code, event_id)
        with self._seen_lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > SEEN_IDS:
                self._seen.popitem(last=False)
        return True

    def stats(self) -> SenderStats:
        return self.sender.stats()

    def flush(self, timeout: float | None = None) -> bool:
        return self.sender.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        return self.sender.close(timeout)


def _fresh_lock(ref: weakref.ReferenceType[EventsApiMirror]) -> None:
    """In a forked child: a request thread of the parent may have held the lock at the fork."""
    mirror = ref()
    if mirror is not None:
        mirror._seen_lock = threading.Lock()


def make_sender(config: EventsApiConfig) -> BackgroundSender:
    """The background sender for ``config.backend``: HTTP from a thread, or Celery."""
    if config.backend == "celery":
        from ..contrib.celery import celery_sender

        return celery_sender(config)
    return BackgroundSender.from_config(config)
