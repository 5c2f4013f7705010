"""``TikTokPixelMiddleware``: a collector per request, redirect carry-over and auto-injection.

Place it after ``SessionMiddleware`` (the session carries calls across redirects) and after
django-csp's ``CSPMiddleware`` (its nonce must be read before the CSP header is written)::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "csp.middleware.CSPMiddleware",
        ...,
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]

Nothing here may fail a request: after the view has run, any error in tracking code is logged
as one warning and the view's response is returned untouched. Only a broken ``TIKTOK_PIXEL``
setting raises (``ImproperlyConfigured``), loudly, on the first request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase

from ...calls import Call
from ...handoff import mirror_request
from ..jinja import describe_failure
from .carry import SESSION_KEY, load_carried, may_carry, session_of, store_carried
from .conf import get_settings
from .mirror import get_mirror
from .page import COLLECTOR_ATTRIBUTE, STATE_ATTRIBUTE, RequestPixel, new_collector

logger = logging.getLogger("tiktok_pixel")

_HEAD_END = re.compile(rb"</head\s*>", re.I)
#: Every rendered payload starts with this; a page holding it already has the pixel.
TAG_MARKER = b'{"pixels":'


def is_redirect(response: HttpResponseBase) -> bool:
    return (
        300 <= response.status_code < 400
        and response.status_code != 304
        and (response.has_header("Location"))
    )


def is_html(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower() in ("text/html", "application/xhtml+xml")


def inject(response: HttpResponseBase, pixel: RequestPixel) -> None:
    """Insert the fragment before the first ``</head>`` of a plain (non-streamed) HTML page."""
    if (
        pixel.rendered
        or response.streaming
        or not is_html(response)
        or response.has_header("Content-Encoding")
    ):
        return
    content: bytes = response.content  # type: ignore[attr-defined]
    match = _HEAD_END.search(content)
    if match is None or TAG_MARKER in content:
        return
    fragment = pixel.render()
    if not fragment:
        return
    encoded = str(fragment).encode(response.charset or "utf-8")
    response.content = content[: match.start()] + encoded + content[match.start() :]  # type: ignore[attr-defined]
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]


class TikTokPixelMiddleware:
    """Gives each request its own ``request.tiktok_pixel`` collector (a ``PageEvents``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        get_settings()  # a broken setting fails at start-up, not on some later page
        get_mirror()  # so does an Events API mirror that cannot be built

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        settings = get_settings()
        events = new_collector(settings)
        pixel = RequestPixel(request, settings, events)
        setattr(request, STATE_ATTRIBUTE, pixel)
        setattr(request, COLLECTOR_ATTRIBUTE, events)
        carried: list[Call] | None = None  # None: nothing was waiting in the session
        if settings.enabled:
            try:
                session = session_of(request)
                if session is not None and may_carry(request) and SESSION_KEY in session:
                    carried = load_carried(session)
                    events.extend(carried)
            except Exception as exc:
                logger.warning("TikTok pixel: carried calls not read: %s", type(exc).__name__)

        response = self.get_response(request)

        if settings.enabled:
            try:
                self.finish(request, response, pixel, carried)
            except Exception as exc:
                logger.warning("TikTok pixel: response left as it was (%s)", describe_failure(exc))
            self.mirror(request, response, pixel, carried)
        return response

    def mirror(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        pixel: RequestPixel,
        carried: list[Call] | None,
    ) -> None:
        """Send the request's own track calls to the Events API too, when it is configured.

        Calls carried in from a redirected request were mirrored by that request and are left
        out (even when it ran in another process); their identify calls still count. Never
        raises.
        """
        try:
            mirror = get_mirror()
            if mirror is None:
                return
            events = getattr(request, COLLECTOR_ATTRIBUTE, pixel.events)
            done = {call.event_id for call in carried or () if call.method == "track"}
            calls = [c for c in events.calls if c.method != "track" or c.event_id not in done]
            mirror_request(
                mirror,
                calls,
                request.META,
                request=request,
                consent=pixel.settings.consent_granted,
                status=response.status_code,
            )
        except ImproperlyConfigured:
            raise
        except Exception as exc:  # request-time: never fail the response
            logger.warning(
                "TikTok Events API: the request's events were not mirrored (%s)",
                type(exc).__name__,
            )

    def finish(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        pixel: RequestPixel,
        carried: list[Call] | None,
    ) -> None:
        """Carry calls over a redirect, inject the tag, forget calls a page has shown."""
        # A view may have swapped the collector; the one on the request is the one that counts.
        events = getattr(request, COLLECTOR_ATTRIBUTE, pixel.events)
        pixel.events = events
        session = session_of(request)
        if is_redirect(response):
            if events.calls or carried is not None:
                store_carried(session, events.calls)
            return
        if response.streaming and carried:
            # A streamed page renders after the session is saved: it could show the carried
            # calls but never forget them (a duplicate on the next page). It shows only its own.
            own = events.calls[len(carried) :]
            if events.calls[: len(carried)] == tuple(carried):
                events.clear()
                events.extend(own)
            return
        if pixel.settings.auto_inject:
            inject(response, pixel)
        if carried is not None:
            # Shown on this page: forget them. Not shown (JSON, an image, a page without the
            # tag): keep them, minus any unreadable entries, for the next page.
            store_carried(session, [] if pixel.rendered else carried)
