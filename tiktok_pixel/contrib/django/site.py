"""The site's :class:`~tiktok_pixel.lifecycle.Site`, its one Events API mirror, its carry cookie.

Both are built on first use from the validated ``TIKTOK_PIXEL`` setting and live as long as it:
when a setting changes (``override_settings`` in tests, autoreload) the site is rebuilt, and
when ``TIKTOK_PIXEL`` itself changes the old mirror is flushed and closed (its sender thread
with it). The middleware asks for the mirror when it loads, so one that cannot be built fails
at start-up; the site (whose no-inline script URL needs the URLconf) is built by the first
request.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ...carry_cookie import CarryCookie, for_secret
from ...lifecycle import Site
from .conf import SETTING, get_settings
from .static_script import script_url

if TYPE_CHECKING:
    from ...events_api import EventsApiMirror

_lock = threading.RLock()  # building the site builds the mirror
_UNBUILT: Any = object()
_current: dict[str, Any] = {"site": _UNBUILT, "mirror": _UNBUILT}


def _cached(key: str, build: Any) -> Any:
    found = _current[key]
    if found is _UNBUILT:
        with _lock:
            found = _current[key]
            if found is _UNBUILT:
                found = _current[key] = build()
    return found


def get_site() -> Site:
    """The lifecycle's site for the current setting; ``ImproperlyConfigured`` if it is broken."""
    found = _current["site"]  # built: every request after the first
    return found if found is not _UNBUILT else _cached("site", _build_site)  # type: ignore[no-any-return]


def get_mirror() -> EventsApiMirror | None:
    """The mirror for the current setting; ``None`` when ``EVENTS_API`` is unset or disabled.

    Raises ``ImproperlyConfigured`` for a broken setting (like :func:`get_settings`).
    """
    return _cached("mirror", _build_mirror)  # type: ignore[no-any-return]


def carry_cookie(request: Any) -> CarryCookie | None:
    """The carry cookie of ``request``'s site: signed with ``SECRET_KEY`` (``SECRET_KEY_FALLBACKS``
    accepted), ``Secure`` as ``SESSION_COOKIE_SECURE``, the path the site is served under
    (``SCRIPT_NAME``, which Django sets from ``FORCE_SCRIPT_NAME`` when that is set)."""
    meta = getattr(request, "META", None) or {}
    prefix = str(meta.get("SCRIPT_NAME") or "").rstrip("/") or "/"
    return for_secret(
        settings.SECRET_KEY,
        fallbacks=getattr(settings, "SECRET_KEY_FALLBACKS", ()),
        secure=bool(settings.SESSION_COOKIE_SECURE),
        path=prefix,
    )


def _build_site() -> Site:
    found = get_settings()
    url = None
    if found.enabled and not found.config.inline:
        url = script_url()  # the URLconf and staticfiles are ready by the first request
    return found.site(mirror=get_mirror(), script_url=url)


def _build_mirror() -> EventsApiMirror | None:
    try:
        return get_settings().mirror()
    except ValueError as exc:
        raise ImproperlyConfigured(f"tiktok_pixel: {exc}") from None


def close_mirror(timeout: float | None = None) -> bool:
    """Flush and close the current mirror (if one was built) and forget it; True if all sent."""
    with _lock:
        mirror = _current["mirror"]
        _current["mirror"] = _current["site"] = _UNBUILT
    if mirror is _UNBUILT or mirror is None:
        return True
    return bool(mirror.close(timeout))


def _setting_changed(*, setting: str | None = None, **kwargs: Any) -> None:
    if setting is None or setting == SETTING:
        close_mirror()
    else:  # the script URL may depend on it (STATIC_URL, STATICFILES_FINDERS, the URLconf)
        _current["site"] = _UNBUILT


setting_changed.connect(_setting_changed, dispatch_uid="tiktok_pixel.contrib.django.site.reset")
