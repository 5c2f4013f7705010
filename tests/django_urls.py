"""URLconf of the Django integration tests: the views in ``tests/contrib/django/views.py``."""

from __future__ import annotations

from django.urls import include, path

from tests.contrib.django import views

urlpatterns = [
    path("product/<str:sku>/", views.product, name="product"),
    path("cart/add/", views.add_to_cart, name="add_to_cart"),
    path("checkout/", views.checkout, name="checkout"),
    path("thanks/", views.thanks, name="thanks"),
    path("api/cart/", views.api_cart, name="api_cart"),
    path("plain/", views.plain, name="plain"),
    path("tagged/", views.tagged, name="tagged"),
    path("stream/", views.stream, name="stream"),
    path("stream/tagged/", views.stream_tagged, name="stream_tagged"),
    path("account/", views.account, name="account"),
    path("jinja/", views.jinja_page, name="jinja"),
    path("broken/", views.broken_view, name="broken"),
    path("tiktok-pixel/", include("tiktok_pixel.contrib.django.urls")),
]
