"""URLconf serving the no-inline script: ``path("tiktok-pixel/", include(<this module>))``."""

from __future__ import annotations

from django.urls import path

from .static_script import static_script

app_name = "tiktok_pixel"

urlpatterns = [
    path("tiktok_pixel.js", static_script, name="static_script_latest"),
    path("tiktok_pixel.<slug:digest>.js", static_script, name="static_script"),
]
