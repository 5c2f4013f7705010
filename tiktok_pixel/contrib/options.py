"""The option names the framework integrations share, and how they become a ``PixelConfig``.

Django reads them as keys of one ``TIKTOK_PIXEL`` dict (``{"PIXEL_CODE": …, "USE_EXISTING": …}``);
Flask as config keys with a ``TIKTOK_PIXEL_`` prefix (``TIKTOK_PIXEL_CODE``,
``TIKTOK_PIXEL_USE_EXISTING``, …). One table, so both accept exactly the same options.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from ..config import PixelConfig, SettingError

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

#: What each option does, in one line: the source of the documentation's settings reference
#: (``docs/gen_pages.py``). A test fails when an option has no entry here.
OPTION_HELP: dict[str, str] = {
    "PIXEL_CODE": "one pixel code or a list; with several, every call goes to each pixel "
    "through `ttq.instance(code)`. Required unless `USE_EXISTING` is set (or the "
    "integration is disabled)",
    "USE_EXISTING": "render no loader, no `load()`, no `page()`: hand the calls to the "
    "`window.ttq` already on the page, or to one that appears within 10 s (a tag manager)",
    "AUTO_PAGE_VIEW": "call `ttq.page()` once after loading each pixel",
    "LIMITED_DATA_USE": "load with `{limited_data_use: true}`",
    "CONSENT": '`"hold"`: `ttq.holdConsent()` before `load`, so nothing is sent until the page '
    "calls `ttq.grantConsent()`",
    "DEFAULT_CURRENCY": "currency for a `value` given without one (one of TikTok's 61 codes)",
    "DEFAULT_PHONE_REGION": 'region (`"GB"`, `"US"`) for phone numbers written without `+country`',
    "SDK_URL": "where `events.js` is loaded from: TikTok's by default; a first-party proxy or "
    "an offline stand-in",
    "INLINE": "`False`: no inline JavaScript at all; the calls go into a JSON data block read by "
    "the static `tiktok_pixel.js` the integration serves",
    "MAPPINGS": "how Segment-spec events become TikTok calls: a mapping spec (see Segment-spec "
    "events)",
    "PII_POLICY": '`"hash"` (default), `"drop"` or `"raise"`: what `track()` does with an email '
    "or phone number found in its params under any name, at any depth or in a URL (see Privacy)",
    "URL_PARAMS_ALLOWED": "glob patterns of URL query parameters the privacy guard never touches "
    "(default `utm_*`, `ttclid`, `gclid`, `fbclid`)",
    "DEBUG": "log the validator's findings on each render and add them to the page as a JSON "
    "data block",
    "ENABLED": "`False`: render nothing and keep nothing in the session (views may still call "
    "`track`). The pixel renders under Flask's `TESTING` too; the Events API mirror stays off "
    "there unless `ENABLED` is set to `True` explicitly",
    "AUTO_INJECT": "insert the fragment before `</head>` of HTML responses that lack it",
    "NONCE": "`callable(request) -> str`: the request's CSP nonce, when no CSP library provides "
    "one (Django also takes a dotted path)",
    "EVENTS_API": "a dict of Events API options: every `track` is also sent server-side with the "
    "same `event_id`",
    "CONSENT_GRANTED": "`callable(request) -> bool`: whether this visitor granted consent; needed "
    "for mirroring under `CONSENT` `hold` (Django also takes a dotted path)",
}


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


#: ``PixelConfig`` field -> option name (Django spelling).
FIELD_OPTIONS: dict[str, str] = {field: option for option, field in CONFIG_OPTIONS.items()}


def config_from_options(
    options: Mapping[str, Any],
    *,
    source: str,
    runtime_url: str | None = None,
    option_name: Callable[[str], str] | None = None,
) -> PixelConfig:
    """Build the ``PixelConfig`` from options given by their Django names.

    ``source`` names where they came from (``"settings.TIKTOK_PIXEL"``, ``"app.config"``) for the
    error message; ``runtime_url`` is where the integration serves ``static/tiktok_pixel.js``.
    ``option_name`` spells an option the way the user wrote it (``flask_key`` for Flask; e.g.
    ``repr`` for Django's dict keys): given, an invalid value's message names the option instead
    of the ``PixelConfig`` field. Raises ``ValueError`` for anything invalid or unknown.
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
    except SettingError as exc:
        if option_name is None:
            raise ValueError(f"{source}: {exc}") from None
        spell = option_name

        def name(field: str) -> str:
            return spell(FIELD_OPTIONS[field]) if field in FIELD_OPTIONS else field

        raise ValueError(f"{source}: {exc.spelled(name)}") from None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from None
