"""The hand-off of a request's calls to the Events API mirror, for every framework integration.

Flask (``TIKTOK_PIXEL_EVENTS_API``) and Django (``TIKTOK_PIXEL["EVENTS_API"]``) share this: the
option dict is validated at start-up into an :class:`~tiktok_pixel.events_api.EventsApiConfig`
and one :class:`~tiktok_pixel.events_api.EventsApiMirror`; at the end of each request
:func:`mirror_request` hands the request's calls and WSGI environ to it. Under
``CONSENT = "hold"`` the server sends nothing unless ``CONSENT_GRANTED(request)`` says the visitor
granted consent, exactly like the pixel, which holds its events until ``ttq.grantConsent()``.

Nothing here may fail a response: a request-time problem is one logged warning (never a PII
value) and nothing is mirrored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .calls import Call
from .config import PixelConfig

if TYPE_CHECKING:  # the events_api package is imported only when mirroring is configured
    from .events_api import EventsApiConfig, EventsApiMirror

logger = logging.getLogger(__name__)

#: ``CONSENT_GRANTED``: ``callable(request) -> bool``, whether this visitor granted consent.
ConsentFunction = Callable[[Any], Any]

#: Stand-in token used only to validate the other options of a disabled integration.
_VALIDATION_TOKEN = "validation-only-token"


def _token_keys(options: Mapping[str, Any]) -> list[Any]:
    return [key for key in options if isinstance(key, str) and key.lower() == "access_token"]


def _gives_token(options: Mapping[str, Any]) -> bool:
    """Whether the option dict or the environment provides an access token."""
    if any(options[key] is not None for key in _token_keys(options)):
        return True
    env_keys = [k for k in options if isinstance(k, str) and k.lower() == "access_token_env"]
    env = options[env_keys[0]] if env_keys else "TIKTOK_ACCESS_TOKEN"
    return isinstance(env, str) and bool(os.environ.get(env, "").strip())


def events_api_config(
    options: Any, *, source: str, require_token: bool = True
) -> EventsApiConfig | None:
    """Validate an ``EVENTS_API`` option dict into an ``EventsApiConfig``.

    Raises ``ValueError`` naming ``source`` for anything invalid: not a dict, an unknown option,
    a bad value, no access token. With ``require_token=False`` (a disabled integration, which
    sends nothing) a missing token is accepted, every other option is still checked, and the
    result is ``None``.
    """
    from .events_api import EventsApiConfig

    if not isinstance(options, Mapping):
        raise ValueError(f"{source} must be a dict of options, not {type(options).__name__}")
    if require_token or _gives_token(options):
        config = EventsApiConfig.from_mapping(options, source=source)
        return config if require_token else None
    stand_in = {key: value for key, value in options.items() if key not in _token_keys(options)}
    stand_in["access_token"] = _VALIDATION_TOKEN
    EventsApiConfig.from_mapping(stand_in, source=source)
    return None


def build_mirror(
    pixel_config: PixelConfig, api_config: EventsApiConfig, *, source: str
) -> EventsApiMirror:
    """The ``EventsApiMirror`` for a site; ``ValueError`` naming ``source`` if it cannot be made.

    The sender's thread starts with the first event, so building it at start-up is cheap (and a
    pre-forking server's master starts no thread). The sender registers its own exit hook that
    flushes the queue within ``SHUTDOWN_TIMEOUT``.
    """
    from .events_api import EventsApiMirror

    try:
        return EventsApiMirror(pixel_config, api_config)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def consent_hold_unanswered(pixel_config: PixelConfig | None, consent: Any) -> bool:
    """Whether pages hold consent but nothing tells the server when it was granted."""
    return pixel_config is not None and pixel_config.consent == "hold" and consent is None


def warn_consent_hold(consent_option: str, events_api_option: str, granted_option: str) -> None:
    """The one start-up warning for mirroring that can never send anything."""
    logger.warning(
        "TikTok Events API: %s is 'hold' and %s is set but %s is not: without it the server "
        "cannot know when a visitor grants consent, so nothing will be mirrored",
        consent_option,
        events_api_option,
        granted_option,
    )


def _granted(consent: ConsentFunction, request: Any) -> bool:
    """``consent(request)``: True only for True; anything else (or an error) is not consent."""
    try:
        answer = consent(request)
    except Exception as exc:
        logger.warning(
            "TikTok Events API: the CONSENT_GRANTED callable failed (%s); the request's events "
            "were not mirrored",
            type(exc).__name__,
        )
        return False
    if answer is True or answer is False or answer is None:
        return answer is True
    logger.warning(
        "TikTok Events API: the CONSENT_GRANTED callable returned %s, not True or False; "
        "treated as no consent",
        type(answer).__name__,
    )
    return False


def mirror_request(
    mirror: EventsApiMirror,
    calls: Iterable[Call],
    environ: Mapping[str, Any],
    *,
    request: Any,
    consent: ConsentFunction | None,
    status: int | None,
) -> int:
    """Queue the track calls of one request for the Events API; returns how many were queued.

    Skipped for a response with a 5xx status (the action the view tracked most likely failed) or
    an unknown one (the request raised). Under consent hold, ``consent(request)`` decides; it is
    only called when the request tracked something. Never raises.
    """
    try:
        if status is None or status >= 500:
            return 0
        calls = list(calls)
        if not any(call.method == "track" for call in calls):
            return 0
        granted: bool | None = None
        if mirror.pixel_config.consent == "hold":
            if consent is None:
                return 0
            granted = _granted(consent, request)
            if not granted:
                return 0
        return int(mirror.mirror(calls, environ, consent_granted=granted))
    except Exception as exc:  # request-time: never fail the response
        logger.warning(
            "TikTok Events API: the request's events were not mirrored (%s)", type(exc).__name__
        )
        return 0
