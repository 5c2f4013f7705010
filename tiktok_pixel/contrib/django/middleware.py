"""``TikTokPixelMiddleware``: the Django adapter of :mod:`tiktok_pixel.lifecycle`.

Place it after django-csp's ``CSPMiddleware`` (its nonce must be read before the CSP header is
written)::

    MIDDLEWARE = [
        ...,
        "csp.middleware.CSPMiddleware",
        ...,
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]

Calls carried across a redirect travel in a cookie of ours signed with a key derived from
``SECRET_KEY`` (:mod:`tiktok_pixel.carry_cookie`): no session is read or written.

Nothing here may fail a request: only a broken ``TIKTOK_PIXEL`` setting raises
(``ImproperlyConfigured``), loudly, at start-up or on the first request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import Morsel
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParserError

from ...carry_cookie import COOKIE_NAME, private_cache_control, vary_cookie
from .conf import get_settings
from .page import request_pixel
from .site import get_mirror

#: Exceptions Django answers with a 4xx page: the request did not fail, it was refused.
_REFUSALS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class TikTokPixelMiddleware:
    """Gives each request its own ``request.tiktok_pixel`` collector (a ``PageEvents``).

    Sync and async: under ASGI with an async chain Django calls it as a coroutine, so an async
    view runs without a thread hop for the pixel.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        get_settings()  # a broken setting fails at start-up, not on some later page
        get_mirror()  # so does an Events API mirror that cannot be built

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._call_async(request)
        request_pixel(request)
        return self._finish(request, self.get_response(request))

    async def _call_async(self, request: HttpRequest) -> HttpResponseBase:
        request_pixel(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return self._finish(request, await get_response(request))

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        pixel = request_pixel(request)  # the view may have replaced its collector
        if pixel.settles_nothing(response.status_code):
            if pixel.site.mirror is not None:  # else there is nothing to hand off
                pixel.hand_off(request.META, status=response.status_code)
            return response
        new_body = pixel.respond(
            status=response.status_code,
            content_type=response.get("Content-Type"),
            has_location=response.has_header("Location"),
            method=request.method or "GET",
            streaming=response.streaming,
            encoded=response.has_header("Content-Encoding"),
            body=lambda: response.content,  # type: ignore[attr-defined]
            charset=response.charset or "utf-8",
            response_headers=response.get,
        )
        if new_body is not None:
            response.content = new_body  # type: ignore[attr-defined]
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(new_body))
            if response.has_header("ETag"):
                del response["ETag"]  # a validator of the old body is wrong now
        if pixel.htmx is not None and pixel.htmx.header is not None:
            response["HX-Trigger"] = pixel.htmx.header
        if pixel.cookie is not None:
            _send_cookie(response, pixel.cookie)
        pixel.hand_off(request.META, status=response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """The view raised: unless Django answers with a 4xx page, the request failed.

        Django always calls this synchronously (in a thread under ASGI): only a raising view
        pays that.
        """
        if not isinstance(exception, _REFUSALS):
            request_pixel(request).fail()


class _BuiltCookie(Morsel[str]):
    """A cookie whose ``Set-Cookie`` value the core built already (no attribute is rebuilt).

    Its ``value`` is the cookie's value, for code that reads ``response.cookies`` (the test
    client's cookie jar).
    """

    def __init__(self, header: str) -> None:
        super().__init__()
        value = header.partition(";")[0].partition("=")[2]
        self.set(COOKIE_NAME, value, value)
        self._header = header

    def OutputString(self, attrs: Any = None) -> str:
        return self._header


def _send_cookie(response: HttpResponseBase, header: str) -> None:
    """Set or delete the carry cookie; the response now depends on the visitor's cookies."""
    response.cookies[COOKIE_NAME] = _BuiltCookie(header)
    response["Vary"] = vary_cookie(response.get("Vary"))
    response["Cache-Control"] = private_cache_control(response.get("Cache-Control"))
