"""The ``TIKTOK_PIXEL`` setting: read, validated and cached as one frozen ``PixelSettings``.

One function, :func:`read_settings`, checks every option and returns all problems at once; the
system checks turn those into ``tiktok_pixel.E…`` messages and :func:`get_settings` (first use)
raises ``ImproperlyConfigured`` with the same text, so ``manage.py check`` and a running site
agree on what is wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from ...config import PixelConfig, normalise_pixel_code
from ...handoff import ConsentFunction, events_api_config
from ...lifecycle import NonceFunction
from ..options import (
    ALL_OPTIONS,
    CONFIG_OPTIONS,
    config_from_options,
    suggest_option,
    unknown_options,
)

if TYPE_CHECKING:
    from ...events_api import EventsApiConfig

SETTING = "TIKTOK_PIXEL"
SOURCE = f"settings.{SETTING}"

#: Stand-in runtime URL used while validating; the real one is resolved at first render.
_PLACEHOLDER_RUNTIME_URL = "/tiktok_pixel.js"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the setting: a check id (``E001``), a message and a hint."""

    id: str
    msg: str
    hint: str


@dataclass(frozen=True)
class PixelSettings:
    """The validated ``TIKTOK_PIXEL`` setting.

    ``config`` is ``None`` only when the pixel is disabled and no pixel code is given, so a
    development settings file may leave the code out. ``events_api`` is ``EVENTS_API`` as given;
    ``events_api_config`` is it validated (``None`` when unset or when the pixel is disabled);
    ``consent_granted`` is the ``CONSENT_GRANTED`` callable (a dotted path is imported).
    """

    config: PixelConfig | None
    enabled: bool = True
    auto_inject: bool = False
    nonce: NonceFunction | None = None
    events_api: Any = field(default=None, repr=False)  # may hold the access token
    events_api_config: EventsApiConfig | None = None
    consent_granted: ConsentFunction | None = None

    @property
    def inline(self) -> bool:
        return self.config is None or self.config.inline


def _bool_problem(options: Mapping[str, Any], key: str) -> Problem | None:
    value = options.get(key)
    if key in options and not isinstance(value, bool):
        return Problem(
            "E003",
            f"{SOURCE}[{key!r}] must be True or False, not {value!r}.",
            f"Set {key!r} to True or False.",
        )
    return None


def _nonce_function(value: Any) -> tuple[NonceFunction | None, Problem | None]:
    """``NONCE`` as a callable: a callable, a dotted path to one, or ``None``."""
    if value is None:
        return None, None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            return None, Problem(
                "E003",
                f"{SOURCE}['NONCE'] names {value!r}, which cannot be imported ({exc}).",
                "Give a callable taking the request and returning its CSP nonce, or its dotted "
                "path such as 'myproject.csp.nonce'.",
            )
    if not callable(value):
        return None, Problem(
            "E003",
            f"{SOURCE}['NONCE'] must be a callable (or a dotted path to one), not {value!r}.",
            "Give a function taking the request and returning its CSP nonce (or None). A fixed "
            "nonce string would defeat CSP, so none is accepted.",
        )
    return value, None


def _consent_function(value: Any) -> tuple[ConsentFunction | None, Problem | None]:
    """``CONSENT_GRANTED`` as a callable: a callable, a dotted path to one, or ``None``."""
    hint = (
        "Give a function taking the request and returning True when the visitor granted "
        "consent (e.g. reading your consent cookie), or its dotted path such as "
        "'myproject.consent.tiktok_granted'."
    )
    if value is None:
        return None, None
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as exc:
            return None, Problem(
                "E010",
                f"{SOURCE}['CONSENT_GRANTED'] names {value!r}, which cannot be imported ({exc}).",
                hint,
            )
    if not callable(value):
        return None, Problem(
            "E010",
            f"{SOURCE}['CONSENT_GRANTED'] must be a callable (or a dotted path to one), "
            f"not {value!r}.",
            hint,
        )
    return value, None


def _events_api_problem(
    raw: Any, config: PixelConfig | None, enabled: bool
) -> tuple[EventsApiConfig | None, Problem | None]:
    """``EVENTS_API`` validated; without a token only a disabled pixel is accepted."""
    hint = (
        "See 'Server-side Events API' in the tiktok-pixel README for the options. The access "
        "token is read from the environment variable TIKTOK_ACCESS_TOKEN (or the one "
        "ACCESS_TOKEN_ENV names)."
    )
    try:
        api_config = events_api_config(raw, source=f"{SOURCE}['EVENTS_API']", require_token=enabled)
    except ValueError as exc:
        return None, Problem("E009", f"{exc}.", hint)
    no_code = config is not None and not config.pixel_codes
    if api_config is not None and no_code and not api_config.pixel_codes:
        return None, Problem(
            "E009",
            f"{SOURCE}['EVENTS_API'] has no pixel code to send the events for: "
            "'USE_EXISTING' is set without 'PIXEL_CODE'.",
            "Set the events API option 'PIXEL_CODES' to the site's pixel code(s).",
        )
    return api_config, None


def _unknown_problem(unknown: list[str]) -> Problem:
    guesses = sorted({guess for key in unknown if (guess := suggest_option(str(key))) is not None})
    hint = f"Did you mean {', '.join(guesses)}? " if guesses else ""
    return Problem(
        "E002",
        f"Unknown option(s) in {SOURCE}: {', '.join(map(str, unknown))}.",
        f"{hint}Known options: {', '.join(sorted(ALL_OPTIONS))}.",
    )


def _pixel_code_problems(value: Any) -> list[Problem]:
    items = [value] if isinstance(value, str) else value
    try:
        items = list(items)
    except TypeError:
        items = [value]
    problems = []
    for item in items:
        try:
            normalise_pixel_code(item)
        except ValueError as exc:
            problems.append(
                Problem(
                    "E001",
                    f"{SOURCE}['PIXEL_CODE']: {exc}.",
                    "PIXEL_CODE takes one pixel code or a list of them, e.g. "
                    "'C3MV4QR3G487IS97GFI0'. Copy it from TikTok Events Manager > Data sources.",
                )
            )
    return problems


def read_settings(raw: Any) -> tuple[PixelSettings | None, list[Problem]]:
    """Validate the raw setting; returns the settings (``None`` if unusable) and every problem."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return None, [
            Problem(
                "E004",
                f"{SOURCE} must be a dict, not {type(raw).__name__}.",
                "Write TIKTOK_PIXEL = {'PIXEL_CODE': 'C3MV4QR3G487IS97GFI0'}.",
            )
        ]
    problems: list[Problem] = []
    unknown = unknown_options(raw)
    if unknown:
        problems.append(_unknown_problem(unknown))
    for key in ("ENABLED", "AUTO_INJECT"):
        problem = _bool_problem(raw, key)
        if problem:
            problems.append(problem)
    nonce, problem = _nonce_function(raw.get("NONCE"))
    if problem:
        problems.append(problem)
    consent_granted, problem = _consent_function(raw.get("CONSENT_GRANTED"))
    if problem:
        problems.append(problem)
    enabled = raw.get("ENABLED", True) is not False
    has_code = raw.get("PIXEL_CODE") not in (None, "", [], ())
    config: PixelConfig | None = None
    code_problems = _pixel_code_problems(raw["PIXEL_CODE"]) if has_code else []
    problems.extend(code_problems)
    no_code_needed = has_code or raw.get("USE_EXISTING") is True
    if not no_code_needed and enabled:
        problems.append(
            Problem(
                "E005",
                f"{SOURCE} has no 'PIXEL_CODE'.",
                "Set 'PIXEL_CODE' to your pixel code, or 'USE_EXISTING': True when the site "
                "already loads the TikTok pixel, or 'ENABLED': False to render nothing.",
            )
        )
    elif not code_problems:
        options = {key: value for key, value in raw.items() if key in CONFIG_OPTIONS}
        if options.get("MAPPINGS") is None:
            options.pop("MAPPINGS", None)
        if not no_code_needed and options.get("USE_EXISTING") in (None, False):
            # Disabled without a code: still check every other option, but build nothing.
            options["USE_EXISTING"] = True
        try:
            config = config_from_options(
                options, source=SOURCE, runtime_url=_PLACEHOLDER_RUNTIME_URL
            )
        except ValueError as exc:
            problems.append(
                Problem(
                    "E003",
                    f"{exc}.",
                    "See the 'Django' section of the tiktok-pixel README for every option "
                    "and the values it takes.",
                )
            )
        if not no_code_needed:
            config = None
    api_config = None
    if raw.get("EVENTS_API") is not None:
        api_config, problem = _events_api_problem(raw["EVENTS_API"], config, enabled)
        if problem:
            problems.append(problem)
    if problems:
        return None, problems
    return (
        PixelSettings(
            config=config,
            enabled=enabled,
            auto_inject=raw.get("AUTO_INJECT", False),
            nonce=nonce,
            events_api=raw.get("EVENTS_API"),
            events_api_config=api_config,
            consent_granted=consent_granted,
        ),
        [],
    )


def raise_problems(problems: list[Problem]) -> None:
    """``ImproperlyConfigured`` carrying every problem (first use of a broken setting)."""
    if problems:
        text = "; ".join(f"tiktok_pixel.{p.id}: {p.msg} HINT: {p.hint}" for p in problems)
        raise ImproperlyConfigured(text)


_lock = threading.Lock()
_cache: dict[str, Any] = {}


def get_settings() -> PixelSettings:
    """The validated setting, built once; ``ImproperlyConfigured`` if it is invalid."""
    cached = _cache.get("settings")
    if cached is None:
        with _lock:
            found, problems = read_settings(getattr(settings, SETTING, None))
            raise_problems(problems)
            assert found is not None
            cached = _cache["settings"] = found
    return cached


def reset(**kwargs: Any) -> None:
    """Forget the cached setting (``override_settings`` in tests, autoreload)."""
    _cache.clear()


setting_changed.connect(reset, dispatch_uid="tiktok_pixel.contrib.django.conf.reset")
