"""A URLconf without ``tiktok_pixel.contrib.django.urls`` (nothing serves the runtime)."""

from __future__ import annotations

from django.urls import path

from tests.contrib.django import views

urlpatterns = [path("product/<str:sku>/", views.product)]
