"""``PixelState``: the Flask extension's validated settings, kept on ``app.extensions``.

Built once by ``init_app`` from ``app.config``'s ``TIKTOK_PIXEL_*`` keys, through the option table
shared with Django (:mod:`tiktok_pixel.contrib.options`), so configuration mistakes fail at
start-up with a message naming the Flask key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...handoff import (
    build_mirror,
    check_consent_function,
    consent_hold_unanswered,
    events_api_config,
    warn_consent_hold,
)
from ...lifecycle import NonceFunction, Site
from ..options import (
    ALL_OPTIONS,
    CONFIG_OPTIONS,
    config_from_options,
    flask_key,
    suggest_option,
)
from .static_script import script_path

__all__ = ["PREFIX", "NonceFunction", "PixelState", "build_state", "flask_options"]

#: Prefix of every Flask config key the extension owns.
PREFIX = "TIKTOK_PIXEL_"

_FLASK_KEYS: dict[str, str] = {flask_key(option): option for option in ALL_OPTIONS}


@dataclass(frozen=True, eq=False)
class PixelState(Site):
    """What ``TikTokPixel.init_app`` validated; ``app.extensions["tiktok_pixel"]``.

    The lifecycle's :class:`~tiktok_pixel.lifecycle.Site` (``config``, ``enabled``,
    ``auto_inject``, ``nonce``, ``mirror``, ``consent_granted``, ``script_url``) plus
    ``events_api``, ``TIKTOK_PIXEL_EVENTS_API`` exactly as given (never in the repr: it may hold
    the access token).
    """

    events_api: Any = field(default=None, repr=False)

    def script_url_for(self, script_root: str) -> str | None:
        """Where pages of an app mounted at ``script_root`` load the no-inline script."""
        if self.script_url is None or not script_root:
            return self.script_url
        return script_root + self.script_url


def flask_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The options set in a Flask config, by their shared (Django) names; ``None`` means unset.

    Raises ``ValueError`` for a ``TIKTOK_PIXEL_*`` key that is no option (a typo).
    """
    unknown = sorted(
        key
        for key in config
        if isinstance(key, str) and key.startswith(PREFIX) and key not in _FLASK_KEYS
    )
    if unknown:
        guesses = sorted(
            {
                flask_key(guess)
                for key in unknown
                if (guess := suggest_option(key[len(PREFIX) :])) is not None
            }
        )
        hint = f"did you mean {', '.join(guesses)}? " if guesses else ""
        raise ValueError(
            f"unknown TikTok pixel config key(s) in app.config: {', '.join(unknown)}; "
            f"{hint}known keys are {', '.join(sorted(_FLASK_KEYS))}"
        )
    return {
        option: config[key]
        for key, option in _FLASK_KEYS.items()
        if key in config and config[key] is not None
    }


def _require_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"app.config: {key} must be True or False, not {value!r}")
    return value


def _key_hint(message: str) -> str:
    """Name the Flask keys an error message from ``PixelConfig`` is about."""
    keys = [
        flask_key(option)
        for option, name in CONFIG_OPTIONS.items()
        if re.search(rf"\b{name}\b", message)
    ]
    if not keys and "pixel code" in message:
        keys = [flask_key("PIXEL_CODE")]
    return f" (set by {', '.join(keys)})" if keys else ""


def build_state(config: Mapping[str, Any], *, testing: bool) -> PixelState:
    """Validate a Flask app's ``TIKTOK_PIXEL_*`` keys into a :class:`PixelState`.

    ``TIKTOK_PIXEL_ENABLED`` defaults to True, under ``TESTING`` too (the test client runs no
    JavaScript, and the testing helpers read the rendered pixel). The Events API mirror is built
    only when ``TIKTOK_PIXEL_EVENTS_API`` is set and, under ``TESTING``, only when
    ``TIKTOK_PIXEL_ENABLED`` is set to True explicitly: a test suite never sends to TikTok by
    accident. Raises ``ValueError`` naming the key.
    """
    options = flask_options(config)
    explicit = "ENABLED" in options
    if explicit:
        enabled = _require_bool(flask_key("ENABLED"), options.pop("ENABLED"))
    else:  # a test set-up without a pixel code has nothing to render: it only collects
        enabled = not (testing and "PIXEL_CODE" not in options and "USE_EXISTING" not in options)
    mirroring = enabled and (explicit or not testing)
    auto_inject = _require_bool(flask_key("AUTO_INJECT"), options.pop("AUTO_INJECT", False))
    nonce = options.pop("NONCE", None)
    if nonce is not None and not callable(nonce):
        raise ValueError(
            f"app.config: {flask_key('NONCE')} must be a callable(request) -> str returning "
            f"the request's CSP nonce, not {type(nonce).__name__}: a fixed nonce defeats CSP"
        )
    events_api = options.pop("EVENTS_API", None)
    consent_key = flask_key("CONSENT_GRANTED")
    try:
        consent_granted = check_consent_function(
            options.pop("CONSENT_GRANTED", None), name=consent_key
        )
    except ValueError as exc:
        raise ValueError(f"app.config: {exc}") from None
    events_api_source = f"app.config[{flask_key('EVENTS_API')!r}]"
    api_config = (
        None
        if events_api is None
        else events_api_config(events_api, source=events_api_source, require_token=mirroring)
    )
    if not enabled and "PIXEL_CODE" not in options:
        # Disabled without a pixel code: collect calls, never render them.
        options["USE_EXISTING"] = True
    try:
        pixel_config = config_from_options(options, source="app.config", runtime_url=script_path())
    except ValueError as exc:
        raise ValueError(f"{exc}{_key_hint(str(exc))}") from None
    mirror = None
    if api_config is not None:
        mirror = build_mirror(pixel_config, api_config, source=events_api_source)
        if consent_hold_unanswered(pixel_config, consent_granted):
            warn_consent_hold(flask_key("CONSENT"), flask_key("EVENTS_API"), consent_key)
    return PixelState(
        config=pixel_config,
        enabled=enabled,
        auto_inject=auto_inject,
        nonce=nonce,
        mirror=mirror,
        consent_granted=consent_granted,
        script_url=None if pixel_config.inline else pixel_config.runtime_url,
        events_api=events_api,
    )
