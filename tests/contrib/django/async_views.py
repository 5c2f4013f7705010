"""Async views (and the htmx shop) for the async Django and htmx tests: ``async_urls``."""

from __future__ import annotations

import asyncio
import threading

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import engines

from tests.contrib import htmx_shop

#: The threads the account view ran on (uvicorn's event loop thread only, under ASGI).
VIEW_THREADS: set[int] = set()

PAGE = engines["django"].from_string(
    "{% load tiktok_pixel %}<!doctype html><html><head><title>{{ title }}</title>"
    "{% tiktok_pixel %}</head><body>{{ title }}</body></html>"
)
HTMX_PAGE = engines["django"].from_string(htmx_shop.DJANGO_PAGE)


def _page(request: HttpRequest, title: str) -> HttpResponse:
    return HttpResponse(PAGE.render({"title": title}, request))


async def signin(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.identify(  # type: ignore[attr-defined]
        email=request.GET["email"], external_id=request.GET["user"]
    )
    await asyncio.sleep(0)  # let other requests run in between
    return HttpResponseRedirect("/async/account/", status=303)


async def account(request: HttpRequest) -> HttpResponse:
    VIEW_THREADS.add(threading.get_ident())
    if "email" in request.GET:
        request.tiktok_pixel.identify(  # type: ignore[attr-defined]
            email=request.GET["email"], external_id=request.GET["user"]
        )
    await asyncio.sleep(0)
    return _page(request, "your account")


async def untagged(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("ViewContent", event_id="untagged-1")  # type: ignore[attr-defined]
    return HttpResponse("<!doctype html><html><head><title>t</title></head><body>x</body></html>")


async def broken(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("Purchase", value=9, currency="EUR")  # type: ignore[attr-defined]
    raise RuntimeError("the view failed")


# the htmx shop (tests/contrib/htmx_shop.py), async ---------------------------------------------


def _htmx_page(request: HttpRequest, title: str, body: str) -> HttpResponse:
    context = {"title": title, "body": body, "csp_nonce": request.csp_nonce}  # type: ignore[attr-defined]
    return HttpResponse(HTMX_PAGE.render(context, request))


async def listing(request: HttpRequest) -> HttpResponse:
    return _htmx_page(request, "Listing", htmx_shop.LISTING_BODY)


async def product(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track(  # type: ignore[attr-defined]
        "ViewContent", content_ids="sku-1", value=12.5, currency="EUR"
    )
    return _htmx_page(request, "Sneaker", htmx_shop.PRODUCT_BODY)


async def cart(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track(  # type: ignore[attr-defined]
        "AddToCart", content_ids="sku-1", value=12.5, currency="EUR"
    )
    return HttpResponse(htmx_shop.CART_FRAGMENT)


async def search(request: HttpRequest) -> HttpResponse:
    request.tiktok_pixel.track("Search", query=request.GET.get("q", ""))  # type: ignore[attr-defined]
    return HttpResponse(htmx_shop.SEARCH_FRAGMENT)


class StrictCsp:
    """A fresh nonce per request (``request.csp_nonce``) and the CSP header; sync and async."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):  # type: ignore[no-untyped-def]
        request.csp_nonce = htmx_shop.new_nonce()
        if self.is_async:
            return self._acall(request)
        response = self.get_response(request)
        response["Content-Security-Policy"] = htmx_shop.csp(request.csp_nonce)
        return response

    async def _acall(self, request):  # type: ignore[no-untyped-def]
        response = await self.get_response(request)
        response["Content-Security-Policy"] = htmx_shop.csp(request.csp_nonce)
        return response
