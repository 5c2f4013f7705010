"""Flask integration: ``TikTokPixel(app)`` and ``pixel``, the current request's collector.

::

    from tiktok_pixel.contrib.flask import TikTokPixel, pixel

    app.config["TIKTOK_PIXEL_CODE"] = "C3MV4QR3G487IS97GFI0"
    TikTokPixel(app)

    @app.post("/cart")
    def add_to_cart():
        pixel.track("AddToCart", value=19.99, currency="EUR")
        return redirect("/cart")  # the call is rendered on the next page

and ``{% tiktok_pixel %}`` in the ``<head>`` of the base template.
"""

from __future__ import annotations

from .extension import (
    EXTENSION_NAME,
    TikTokPixel,
    current_events,
    get_state,
    pixel,
    render_pixel,
)
from .state import PixelState

__all__ = [
    "EXTENSION_NAME",
    "PixelState",
    "TikTokPixel",
    "current_events",
    "get_state",
    "pixel",
    "render_pixel",
]
