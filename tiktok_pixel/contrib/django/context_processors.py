"""Context processor: ``tiktok_pixel`` in every template rendered with a request.

Add ``"tiktok_pixel.contrib.django.context_processors.tiktok_pixel"`` to a backend's
``OPTIONS["context_processors"]``. The value prints as the pixel fragment (``{{ tiktok_pixel }}``
in Django templates, ``{{ tiktok_pixel() }}`` or ``{{ tiktok_pixel(nonce=…) }}`` in Jinja2) and
holds the collector as ``tiktok_pixel.events``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .page import request_pixel


def tiktok_pixel(request: HttpRequest) -> dict[str, Any]:
    return {"tiktok_pixel": request_pixel(request)}
