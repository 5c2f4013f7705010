"""URLconf serving the no-inline runtime: ``path("tiktok-pixel/", include(<this module>))``."""

from __future__ import annotations

from django.urls import path

from .views import runtime_script

app_name = "tiktok_pixel"

urlpatterns = [
    path("tiktok_pixel.<slug:digest>.js", runtime_script, name="runtime"),
]
