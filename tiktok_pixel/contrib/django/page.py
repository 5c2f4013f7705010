"""The request's :class:`~tiktok_pixel.lifecycle.RequestPixel`, and rendering it from templates.

The middleware gives each request one (``request.tiktok_pixel`` is its collector, a
:class:`~tiktok_pixel.PageEvents`); the tag, the Jinja2 global and the context processor render
it. Without the middleware, the first use makes one (nothing is then carried or injected).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from markupsafe import Markup

from ... import htmx
from ...carry_cookie import COOKIE_NAME
from ...collector import PageEvents
from ...failures import log_render_failure
from ...lifecycle import RequestPixel
from .site import carry_cookie, get_site

STATE_ATTRIBUTE = "_tiktok_pixel_state"
COLLECTOR_ATTRIBUTE = "tiktok_pixel"


def request_pixel(request: Any) -> RequestPixel:
    """The request's pixel, made on first use. ``ImproperlyConfigured`` for a broken setting."""
    found: RequestPixel | None = getattr(request, STATE_ATTRIBUTE, None)
    if found is None:
        found = get_site().begin(
            request,
            carrier=lambda: carry_cookie(request),
            carried=getattr(request, "COOKIES", {}).get(COOKIE_NAME),
        )
        meta = getattr(request, "META", None)
        if meta is not None and "HTTP_HX_REQUEST" in meta:  # only then can it be htmx
            found.htmx = htmx.exchange(request.headers.get)
        setattr(request, STATE_ATTRIBUTE, found)
        setattr(request, COLLECTOR_ATTRIBUTE, found.events)
    events = getattr(request, COLLECTOR_ATTRIBUTE, None)
    if isinstance(events, PageEvents) and events is not found.events:
        found.events = events  # a view replaced its collector: that one counts
    return found


def render_for(request: Any, nonce: str | None = None) -> Markup:
    """What ``{% tiktok_pixel %}`` and the Jinja2 global print for ``request``.

    Nothing without a request (Django's default 500 page renders its template without one):
    its nonce is unknown, and a script without it would break the page's CSP.
    """
    if request is None:
        return Markup("")
    try:
        pixel = request_pixel(request)
    except ImproperlyConfigured:
        raise  # a broken setting must be seen
    except Exception as exc:
        log_render_failure(exc)
        return Markup("")
    return pixel.render(nonce)
