"""The ``TIKTOK_PIXEL`` setting: read, validated and cached as one frozen ``SiteOptions``.

One function, :func:`read_settings`, checks every option (through the builder shared with Flask
and Starlette, :mod:`tiktok_pixel.contrib.options`) and returns all problems at once; the system
checks turn those into ``tiktok_pixel.E…`` messages and :func:`get_settings` (first use) raises
``ImproperlyConfigured`` with the same text, so ``manage.py check`` and a running site agree on
what is wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from ..options import Problem as OptionProblem
from ..options import SiteOptions, Spelling, read_options

SETTING = "TIKTOK_PIXEL"
SOURCE = f"settings.{SETTING}"

#: ``settings.TIKTOK_PIXEL['PIXEL_CODE']``: options are dict keys; paths name callables.
DJANGO = Spelling(SOURCE, str, name=lambda option: f"{SOURCE}[{option!r}]", resolve=import_string)

#: Stand-in runtime URL used while validating; the real one is resolved at first render.
_PLACEHOLDER_RUNTIME_URL = "/tiktok_pixel.js"

_CALLABLE_HINT = "Give a function taking the request and {}, or its dotted path such as '{}'."
#: Check id -> its hint, when the problem brings none.
_HINTS = {
    "E001": "PIXEL_CODE takes one pixel code or a list of them, e.g. 'C3MV4QR3G487IS97GFI0'. "
    "Copy it from TikTok Events Manager > Data sources.",
    "E003": "See the 'Django' section of the tiktok-pixel README for every option and the "
    "values it takes.",
    "NONCE": _CALLABLE_HINT.format(
        "returning its CSP nonce (or None); a fixed nonce string would defeat CSP",
        "myproject.csp.nonce",
    ),
    "E005": "Set 'PIXEL_CODE' to your pixel code, or 'USE_EXISTING': True when the site already "
    "loads the TikTok pixel, or 'ENABLED': False to render nothing.",
    "E009": "See 'Server-side Events API' in the tiktok-pixel README for the options. The access "
    "token is read from the environment variable TIKTOK_ACCESS_TOKEN (or the one "
    "ACCESS_TOKEN_ENV names).",
    "E010": _CALLABLE_HINT.format(
        "returning True when the visitor granted consent (e.g. reading your consent cookie)",
        "myproject.consent.tiktok_granted",
    ),
}
_IDS = {"PIXEL_CODE": "E001", "EVENTS_API": "E009", "CONSENT_GRANTED": "E010"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the setting: a check id (``E001``), a message and a hint."""

    id: str
    msg: str
    hint: str

    @classmethod
    def of(cls, found: OptionProblem) -> Problem:
        """The check for a problem the shared builder found."""
        if found.option is None:
            check_id = "E002"
        else:
            check_id = "E005" if found.missing else _IDS.get(found.option, "E003")
        hint = found.hint[:1].upper() + found.hint[1:] + "." if found.hint else ""
        default = _HINTS.get(found.option or "") if check_id == "E003" else None
        return cls(check_id, f"{found.message}.", hint or default or _HINTS[check_id])


def read_settings(raw: Any) -> tuple[SiteOptions | None, list[Problem]]:
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
    found, problems = read_options(raw, DJANGO, runtime_url=_PLACEHOLDER_RUNTIME_URL)
    return found, [Problem.of(problem) for problem in problems]


def raise_problems(problems: list[Problem]) -> None:
    """``ImproperlyConfigured`` carrying every problem (first use of a broken setting)."""
    if problems:
        text = "; ".join(f"tiktok_pixel.{p.id}: {p.msg} HINT: {p.hint}" for p in problems)
        raise ImproperlyConfigured(text)


_lock = threading.Lock()
_cache: dict[str, Any] = {}


def get_settings() -> SiteOptions:
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
