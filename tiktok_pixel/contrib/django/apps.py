"""The Django app: add ``"tiktok_pixel.contrib.django"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig


class TikTokPixelConfig(AppConfig):
    name = "tiktok_pixel.contrib.django"
    label = "tiktok_pixel"
    verbose_name = "TikTok Pixel"

    def ready(self) -> None:
        from .checks import register_checks

        register_checks()
