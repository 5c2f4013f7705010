"""The option names the framework integrations share, and how they become a ``PixelConfig``.

Django reads them as keys of one ``TIKTOK_PIXEL`` dict (``{"PIXEL_CODE": …, "USE_EXISTING": …}``);
Flask as config keys with a ``TIKTOK_PIXEL_`` prefix (``TIKTOK_PIXEL_CODE``,
``TIKTOK_PIXEL_USE_EXISTING``, …). One table, so both accept exactly the same options.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..config import PixelConfig

#: Option name (Django spelling) -> ``PixelConfig`` field.
CONFIG_OPTIONS: dict[str, str] = {
    "PIXEL_CODE": "pixel_codes",
    "USE_EXISTING": "use_existing_pixel",
    "AUTO_PAGE_VIEW": "auto_page_view",
    "LIMITED_DATA_USE": "limited_data_use",
    "CONSENT": "consent",
    "DEFAULT_CURRENCY": "default_currency",
    "DEFAULT_PHONE_REGION": "default_phone_region",
    "SDK_URL": "sdk_url",
    "INLINE": "inline",
    "MAPPINGS": "mappings",
    "DEBUG": "debug",
    "PII_POLICY": "pii_policy",
    "URL_PARAMS_ALLOWED": "url_params_allowed",
}

#: Options the integrations themselves read (not part of ``PixelConfig``).
INTEGRATION_OPTIONS: frozenset[str] = frozenset(
    {
        "ENABLED",  # False renders nothing
        "AUTO_INJECT",  # insert the fragment before </head> of HTML responses
        "NONCE",  # callable(request) -> CSP nonce, when no CSP library provides one
        "EVENTS_API",  # server-side mirroring through TikTok's Events API
        "CONSENT_GRANTED",  # callable(request) -> bool: may the server mirror under consent hold
    }
)

ALL_OPTIONS: frozenset[str] = frozenset(CONFIG_OPTIONS) | INTEGRATION_OPTIONS


#: Names people reach for that mean an option under another name (TikTok calls the code a
#: "pixel ID" in places).
_ALIASES: dict[str, str] = {
    "ID": "PIXEL_CODE",
    "PIXEL_ID": "PIXEL_CODE",
    "CODE": "PIXEL_CODE",
    "CODES": "PIXEL_CODE",
    "PIXEL_CODES": "PIXEL_CODE",
    "PIXEL": "PIXEL_CODE",
    "USE_EXISTING_PIXEL": "USE_EXISTING",
    "LDU": "LIMITED_DATA_USE",
}


def suggest_option(name: str) -> str | None:
    """The option a misspelt or aliased ``name`` (Django spelling) most likely means."""
    name = name.upper()
    if name in _ALIASES:
        return _ALIASES[name]
    close = difflib.get_close_matches(name, ALL_OPTIONS, n=1, cutoff=0.7)
    return close[0] if close else None


def flask_key(option: str) -> str:
    """The Flask config key for an option: ``PIXEL_CODE`` -> ``TIKTOK_PIXEL_CODE``."""
    return "TIKTOK_PIXEL_CODE" if option == "PIXEL_CODE" else f"TIKTOK_PIXEL_{option}"


def unknown_options(options: Mapping[str, Any]) -> list[str]:
    """The keys of ``options`` that are no option at all (typos), sorted."""
    return sorted(key for key in options if key not in ALL_OPTIONS)


def config_from_options(
    options: Mapping[str, Any], *, source: str, runtime_url: str | None = None
) -> PixelConfig:
    """Build the ``PixelConfig`` from options given by their Django names.

    ``source`` names where they came from (``"settings.TIKTOK_PIXEL"``, ``"app.config"``) for the
    error message; ``runtime_url`` is where the integration serves ``static/tiktok_pixel.js``.
    Raises ``ValueError`` naming the option for anything invalid or unknown.
    """
    unknown = unknown_options(options)
    if unknown:
        raise ValueError(
            f"unknown TikTok pixel option(s) in {source}: {', '.join(unknown)}; "
            f"known options are {', '.join(sorted(ALL_OPTIONS))}"
        )
    fields = {CONFIG_OPTIONS[key]: value for key, value in options.items() if key in CONFIG_OPTIONS}
    if runtime_url is not None:
        fields.setdefault("runtime_url", runtime_url)
    try:
        return PixelConfig.from_mapping(fields, source=source)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from None
