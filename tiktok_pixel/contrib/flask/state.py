"""``PixelState``: the Flask extension's validated settings, kept on ``app.extensions``.

Built once by ``init_app`` from ``app.config``'s ``TIKTOK_PIXEL_*`` keys, through the option table
shared with Django (:mod:`tiktok_pixel.contrib.options`), so configuration mistakes fail at
start-up with a message naming the Flask key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...config import PixelConfig
from ...handoff import (
    ConsentFunction,
    build_mirror,
    check_consent_function,
    consent_hold_unanswered,
    events_api_config,
    warn_consent_hold,
)
from ...runtime import served_static_script
from ..options import (
    ALL_OPTIONS,
    CONFIG_OPTIONS,
    config_from_options,
    flask_key,
    suggest_option,
)

if TYPE_CHECKING:
    from ...events_api import EventsApiMirror

#: Prefix of every Flask config key the extension owns.
PREFIX = "TIKTOK_PIXEL_"

#: Where the no-inline runtime is served (a blueprint registered by ``init_app``).
RUNTIME_PREFIX = "/_tiktok_pixel"

#: ``TIKTOK_PIXEL_NONCE``: ``callable(request) -> str`` giving the request's CSP nonce.
NonceFunction = Callable[[Any], "str | None"]

_FLASK_KEYS: dict[str, str] = {flask_key(option): option for option in ALL_OPTIONS}


@dataclass
class PixelState:
    """What ``TikTokPixel.init_app`` validated; ``app.extensions["tiktok_pixel"]``.

    ``config`` is the site's ``PixelConfig`` (when disabled without a pixel code, a placeholder
    that only collects). ``events_api`` is ``TIKTOK_PIXEL_EVENTS_API`` exactly as given;
    ``mirror`` is the one ``EventsApiMirror`` built from it (``None`` when it is unset or the
    pixel is disabled), and ``consent_granted`` is ``TIKTOK_PIXEL_CONSENT_GRANTED``.
    """

    config: PixelConfig
    enabled: bool
    auto_inject: bool = False
    nonce: NonceFunction | None = None
    events_api: Any = None
    mirror: EventsApiMirror | None = None
    consent_granted: ConsentFunction | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    #: The no-inline runtime (``static/tiktok_pixel.js``) and the digest that versions its URL.
    runtime_js: bytes = b""
    runtime_version: str = ""
    _by_root: dict[str, PixelConfig] = field(default_factory=dict, repr=False)

    @property
    def runtime_path(self) -> str:
        """The versioned path of the runtime under the application root."""
        return f"{RUNTIME_PREFIX}/tiktok_pixel.{self.runtime_version}.js"

    def config_for(self, script_root: str) -> PixelConfig:
        """The config for an app mounted at ``script_root`` (no-inline mode needs a full URL)."""
        if self.config.inline or not script_root:
            return self.config
        found = self._by_root.get(script_root)
        if found is None:
            found = dataclasses.replace(self.config, runtime_url=script_root + self.runtime_path)
            if len(self._by_root) < 64:
                self._by_root[script_root] = found
        return found


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

    ``TIKTOK_PIXEL_ENABLED`` defaults to ``not testing``. Raises ``ValueError`` naming the key.
    """
    options = flask_options(config)
    enabled_key = flask_key("ENABLED")
    enabled = (
        _require_bool(enabled_key, options.pop("ENABLED")) if "ENABLED" in options else not testing
    )
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
        else events_api_config(events_api, source=events_api_source, require_token=enabled)
    )

    runtime_js, version = served_static_script()
    runtime_url = f"{RUNTIME_PREFIX}/tiktok_pixel.{version}.js"
    if not enabled and "PIXEL_CODE" not in options:
        # Disabled without a pixel code (a test suite): collect calls, never render them.
        options["USE_EXISTING"] = True
    try:
        pixel_config = config_from_options(options, source="app.config", runtime_url=runtime_url)
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
        events_api=events_api,
        mirror=mirror,
        consent_granted=consent_granted,
        options=dict(options),
        runtime_js=runtime_js,
        runtime_version=version,
    )
