"""Context processor: ``tiktok_pixel`` in every template rendered with a request.

Add ``"tiktok_pixel.contrib.django.context_processors.tiktok_pixel"`` to a backend's
``OPTIONS["context_processors"]``. The value is the request's
:class:`~tiktok_pixel.lifecycle.RequestPixel`: calling it renders the fragment
(``{{ tiktok_pixel }}`` in Django templates, which call it; ``{{ tiktok_pixel() }}`` or
``{{ tiktok_pixel(nonce=…) }}`` in Jinja2) and ``tiktok_pixel.events`` is the collector. Printing
it without a call (a log line, ``{{ tiktok_pixel }}`` in Jinja2) renders nothing and uses up
nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .page import request_pixel


def tiktok_pixel(request: HttpRequest) -> dict[str, Any]:
    return {"tiktok_pixel": request_pixel(request)}
