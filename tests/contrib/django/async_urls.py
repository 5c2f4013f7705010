"""URLconf of the async Django and htmx tests: the views in ``async_views``."""

from __future__ import annotations

from django.urls import path

from tests.contrib.django import async_views as views

urlpatterns = [
    path("async/signin/", views.signin),
    path("async/account/", views.account),
    path("async/untagged/", views.untagged),
    path("async/broken/", views.broken),
    path("", views.listing),
    path("product/sku-1", views.product),
    path("cart", views.cart),
    path("search", views.search),
]
