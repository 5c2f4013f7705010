"""Where pages load ``static/tiktok_pixel.js`` from in no-inline mode (``INLINE: False``).

Two Django-native ways to serve it, tried in this order:

1. the staticfiles finder :class:`~tiktok_pixel.contrib.django.finders.TikTokPixelFinder` in
   ``STATICFILES_FINDERS``: ``collectstatic`` copies the script with the site's other static
   files and the URL comes from the static files storage (hashed names included);
2. ``path("tiktok-pixel/", include("tiktok_pixel.contrib.django.urls"))`` in the URLconf: a
   view serves the script itself under a content-hashed URL.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from ...runtime import STATIC_SCRIPT_NAME

FINDER = "tiktok_pixel.contrib.django.finders.TikTokPixelFinder"
#: The script's path among the site's static files.
STATIC_NAME = f"tiktok_pixel/{STATIC_SCRIPT_NAME}"
URL_NAME = "tiktok_pixel:runtime"


def finder_installed() -> bool:
    """Whether ``collectstatic`` and ``{% static %}`` know the script."""
    return FINDER in getattr(settings, "STATICFILES_FINDERS", ()) and (
        "django.contrib.staticfiles" in settings.INSTALLED_APPS
    )


def view_url() -> str | None:
    """The URL of the serving view, or ``None`` when the URLconf does not include it."""
    from .views import script_digest

    try:
        return reverse(URL_NAME, kwargs={"digest": script_digest()})
    except NoReverseMatch:
        return None


def runtime_url() -> str:
    """The URL pages load the no-inline runtime from; ``ImproperlyConfigured`` if none."""
    if finder_installed():
        from django.templatetags.static import static

        return static(STATIC_NAME)
    url = view_url()
    if url is None:
        raise ImproperlyConfigured(MISSING_RUNTIME_HINT)
    return url


MISSING_RUNTIME_HINT = (
    "settings.TIKTOK_PIXEL['INLINE'] is False, so pages load static/tiktok_pixel.js, but nothing "
    f"serves it: add {FINDER!r} to STATICFILES_FINDERS (with django.contrib.staticfiles "
    "installed; run collectstatic), or add path('tiktok-pixel/', "
    "include('tiktok_pixel.contrib.django.urls')) to your URLconf."
)
