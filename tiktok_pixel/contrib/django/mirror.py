"""The site's one ``EventsApiMirror``, built from ``TIKTOK_PIXEL["EVENTS_API"]`` on first use.

The middleware asks for it when it loads (so a mirror that cannot be built fails at start-up) and
at the end of every request. It lives as long as the ``TIKTOK_PIXEL`` setting: when that changes
(``override_settings`` in tests), the old mirror is flushed and closed, its sender thread with it,
and the next request builds a new one. Changes to other settings keep it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ...handoff import build_mirror, consent_hold_unanswered, warn_consent_hold
from .conf import SETTING, SOURCE, get_settings

if TYPE_CHECKING:
    from ...events_api import EventsApiMirror

_lock = threading.Lock()
_UNBUILT: Any = object()
_current: dict[str, Any] = {"mirror": _UNBUILT}


def get_mirror() -> EventsApiMirror | None:
    """The mirror for the current setting; ``None`` when ``EVENTS_API`` is unset or disabled.

    Raises ``ImproperlyConfigured`` for a broken setting (like :func:`get_settings`).
    """
    mirror = _current["mirror"]
    if mirror is _UNBUILT:
        with _lock:
            mirror = _current["mirror"]
            if mirror is _UNBUILT:
                mirror = _current["mirror"] = _build()
    return mirror  # type: ignore[no-any-return]


def _build() -> EventsApiMirror | None:
    found = get_settings()
    if not found.enabled or found.events_api_config is None or found.config is None:
        return None
    try:
        mirror = build_mirror(
            found.config, found.events_api_config, source=f"{SOURCE}['EVENTS_API']"
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"tiktok_pixel: {exc}") from None
    if consent_hold_unanswered(found.config, found.consent_granted):
        warn_consent_hold(
            f"{SOURCE}['CONSENT']", f"{SOURCE}['EVENTS_API']", f"{SOURCE}['CONSENT_GRANTED']"
        )
    return mirror


def close_mirror(timeout: float | None = None) -> bool:
    """Flush and close the current mirror (if one was built) and forget it; True if all sent."""
    with _lock:
        mirror = _current["mirror"]
        _current["mirror"] = _UNBUILT
    if mirror is _UNBUILT or mirror is None:
        return True
    return bool(mirror.close(timeout))


def _setting_changed(*, setting: str | None = None, **kwargs: Any) -> None:
    if setting is None or setting == SETTING:
        close_mirror()


setting_changed.connect(_setting_changed, dispatch_uid="tiktok_pixel.contrib.django.mirror.reset")
