"""``TikTokPixelMiddleware``: the Django adapter of :mod:`tiktok_pixel.lifecycle`.

Place it after ``SessionMiddleware`` (the session carries calls across redirects) and after
django-csp's ``CSPMiddleware`` (its nonce must be read before the CSP header is written)::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "csp.middleware.CSPMiddleware",
        ...,
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]

Nothing here may fail a request: only a broken ``TIKTOK_PIXEL`` setting raises
(``ImproperlyConfigured``), loudly, at start-up or on the first request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponseBase
from django.http.multipartparser import MultiPartParserError

from .conf import get_settings
from .page import request_pixel
from .site import get_mirror

#: Exceptions Django answers with a 4xx page: the request did not fail, it was refused.
_REFUSALS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class TikTokPixelMiddleware:
    """Gives each request its own ``request.tiktok_pixel`` collector (a ``PageEvents``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        get_settings()  # a broken setting fails at start-up, not on some later page
        get_mirror()  # so does an Events API mirror that cannot be built

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        pixel = request_pixel(request)
        response = self.get_response(request)
        pixel = request_pixel(request)  # the view may have replaced its collector
        new_body = pixel.respond(
            status=response.status_code,
            content_type=response.get("Content-Type"),
            has_location=response.has_header("Location"),
            method=request.method or "GET",
            streaming=response.streaming,
            encoded=response.has_header("Content-Encoding"),
            body=lambda: response.content,  # type: ignore[attr-defined]
            charset=response.charset or "utf-8",
        )
        if new_body is not None:
            response.content = new_body  # type: ignore[attr-defined]
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(new_body))
            if response.has_header("ETag"):
                del response["ETag"]  # a validator of the old body is wrong now
        pixel.hand_off(request.META, status=response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """The view raised: unless Django answers with a 4xx page, the request failed."""
        if not isinstance(exception, _REFUSALS):
            request_pixel(request).fail()
