"""Serving ``static/tiktok_pixel.js`` in no-inline mode (``INLINE: False``), and its URL.

Two Django-native ways to serve it, tried in this order:

1. the staticfiles finder :class:`~tiktok_pixel.contrib.django.finders.TikTokPixelFinder` in
   ``STATICFILES_FINDERS``: ``collectstatic`` copies the script with the site's other static
   files and the URL comes from the static files storage (hashed names included);
2. ``path("tiktok-pixel/", include("tiktok_pixel.contrib.django.urls"))`` in the URLconf: the
   view below serves it under its digest, as :mod:`tiktok_pixel.static_route` says (a year's
   caching; any other digest is a 404).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from ...runtime import STATIC_SCRIPT_NAME
from ...static_route import digest, script_reply

FINDER = "tiktok_pixel.contrib.django.finders.TikTokPixelFinder"
#: The script's path among the site's static files.
STATIC_NAME = f"tiktok_pixel/{STATIC_SCRIPT_NAME}"
URL_NAME = "tiktok_pixel:static_script"

MISSING_SCRIPT_HINT = (
    "settings.TIKTOK_PIXEL['INLINE'] is False, so pages load static/tiktok_pixel.js, but nothing "
    f"serves it: add {FINDER!r} to STATICFILES_FINDERS (with django.contrib.staticfiles "
    "installed; run collectstatic), or add path('tiktok-pixel/', "
    "include('tiktok_pixel.contrib.django.urls')) to your URLconf."
)


def finder_installed() -> bool:
    """Whether ``collectstatic`` and ``{% static %}`` know the script."""
    return FINDER in getattr(settings, "STATICFILES_FINDERS", ()) and (
        "django.contrib.staticfiles" in settings.INSTALLED_APPS
    )


def view_url() -> str | None:
    """The URL of the serving view, or ``None`` when the URLconf does not include it."""
    try:
        return reverse(URL_NAME, kwargs={"digest": digest()})
    except NoReverseMatch:
        return None


def script_url() -> str:
    """The URL pages load the script from; ``ImproperlyConfigured`` if nothing serves it."""
    if finder_installed():
        from django.templatetags.static import static

        return static(STATIC_NAME)
    url = view_url()
    if url is None:
        raise ImproperlyConfigured(MISSING_SCRIPT_HINT)
    return url


@require_safe
def static_script(request: HttpRequest, digest: str | None = None) -> HttpResponse:
    """``static/tiktok_pixel.js`` (``digest=None``: the unversioned URL)."""
    reply = script_reply(digest, if_none_match=request.headers.get("If-None-Match"))
    if reply.status == 404:
        raise Http404("no such version of tiktok_pixel.js")
    response = HttpResponse(reply.body, status=reply.status)
    if reply.status == 304:
        del response["Content-Type"]
    for name, value in reply.headers:
        response[name] = value
    return response
