"""``RequestPixel``: one request's collector plus how that request renders it.

The middleware creates it; views reach the collector as ``request.tiktok_pixel`` (a
:class:`~tiktok_pixel.PageEvents`); templates render it through the tag, the context processor
or the Jinja2 global. It remembers whether the page rendered its calls, so the middleware knows
whether calls carried over a redirect have now reached a page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from markupsafe import Markup

from ...collector import PageEvents
from ...config import PixelConfig
from ..jinja import log_render_failure
from .conf import PixelSettings, get_settings, page_config
from .nonce import request_nonce

STATE_ATTRIBUTE = "_tiktok_pixel_state"
COLLECTOR_ATTRIBUTE = "tiktok_pixel"

#: Collector config when the pixel is disabled and has no code: calls are accepted, never shown.
_DISABLED = PixelConfig(use_existing_pixel=True)


class RequestPixel:
    """A request's pixel: ``events`` (the collector) and ``render()``.

    Renders like the tag wherever it is printed: ``{{ tiktok_pixel }}`` in Django templates,
    ``{{ tiktok_pixel() }}`` in Jinja2 (both through the context processor).
    """

    do_not_call_in_templates = False  # Django calls it: {{ tiktok_pixel }} renders the tag

    def __init__(self, request: Any, settings: PixelSettings, events: PageEvents) -> None:
        self.request = request
        self.settings = settings
        self.events = events
        #: Whether a fragment with this request's calls went into the response.
        self.rendered = False

    def __repr__(self) -> str:
        return f"<RequestPixel {self.events!r}>"

    def render(self, nonce: str | None = None) -> Markup:
        """The ``<head>`` fragment with this request's calls; ``""`` when disabled or on failure.

        An explicit ``nonce`` wins over django-csp and the ``NONCE`` callable. Any failure
        (an invalid nonce, a broken ``NONCE`` callable, django-csp read too late) logs one
        warning and renders nothing: tracking never breaks the page. A broken setting still
        raises ``ImproperlyConfigured``.
        """
        if not self.settings.enabled:
            return Markup("")
        try:
            if nonce is None:
                nonce = request_nonce(self.request, self.settings)
            fragment = self.events.render(nonce=nonce)
        except ImproperlyConfigured:
            raise
        except Exception as exc:
            log_render_failure(exc)
            return Markup("")
        self.rendered = True
        return fragment

    def __call__(self, nonce: str | None = None) -> Markup:
        return self.render(nonce=nonce)

    def __html__(self) -> str:
        return str(self.render())

    def __str__(self) -> str:
        return str(self.render())


def new_collector(settings: PixelSettings) -> PageEvents:
    """An empty collector with the site's page config (an inert one when disabled, no code).

    Resolving the page config is the first use that fails loudly on a broken setting.
    """
    config = page_config() if settings.enabled else settings.config
    return PageEvents(config or _DISABLED)


def request_pixel(request: Any) -> RequestPixel:
    """The request's :class:`RequestPixel`, created on first use if no middleware made one."""
    state = getattr(request, STATE_ATTRIBUTE, None) if request is not None else None
    if state is None:
        settings = get_settings()
        events = getattr(request, COLLECTOR_ATTRIBUTE, None)
        if not isinstance(events, PageEvents):
            events = new_collector(settings)
        state = RequestPixel(request, settings, events)
        if request is not None:
            setattr(request, STATE_ATTRIBUTE, state)
            setattr(request, COLLECTOR_ATTRIBUTE, events)
    return state


def render_for(request: Any, nonce: str | None = None) -> Markup:
    """What ``{% tiktok_pixel %}`` and the Jinja2 global print for ``request``."""
    return request_pixel(request).render(nonce=nonce)
