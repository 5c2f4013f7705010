"""The demo shop: a small Flask shop that shows every TikTok Pixel call it makes.

Run it with ``make demo`` or ``python -m tiktok_pixel demo``. In a wheel this package is shipped
as ``tiktok_pixel._demo_site``; in a source checkout it is the top-level ``demo_site``.
"""

from __future__ import annotations

from .app import DEMO_PIXEL_CODE, STANDIN_URL, create_app, settings_from_env

__all__ = ["DEMO_PIXEL_CODE", "STANDIN_URL", "create_app", "settings_from_env"]
