"""One refused value per option, and what every front end must say about it.

Each front end's test (Flask, Starlette, the ``render`` command here; Django's system checks in
``tests/contrib/django/test_option_messages.py``) sets one option to its bad value and expects
the message to name the option as that front end writes it, followed by ``after``, and to hold
no ``PixelConfig`` field name the user never wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tiktok_pixel.contrib.options import ALL_OPTIONS, CONFIG_OPTIONS

#: option -> (a value it refuses, what the message says right after naming the option)
BAD_VALUES: dict[str, tuple[Any, str]] = {
    "PIXEL_CODE": ("nope", ": invalid TikTok pixel code 'nope'"),
    "USE_EXISTING": ("yes", " must be True or False, not 'yes'"),
    "AUTO_PAGE_VIEW": ("yes", " must be True or False, not 'yes'"),
    "LIMITED_DATA_USE": (1, " must be True or False, not 1"),
    "CONSENT": ("granted", " must be None or 'hold', not 'granted'"),
    "DEFAULT_CURRENCY": ("EURO", " 'EURO' is not an ISO 4217 code"),
    "DEFAULT_PHONE_REGION": ("ZZ", " 'ZZ' is not an ISO 3166 two-letter region"),
    "SDK_URL": ("javascript:alert(1)", " must be an http(s) URL"),
    "INLINE": ("no", " must be True or False, not 'no'"),
    "MAPPINGS": ({"sets": []}, ": unknown key(s) sets; did you mean 'set'?"),
    "DEBUG": ("on", " must be True or False, not 'on'"),
    "PII_POLICY": ("off", " must be one of 'hash', 'drop' or 'raise', not 'off'"),
    "URL_PARAMS_ALLOWED": (3, " must be a list of glob patterns"),
    "ENABLED": ("yes", " must be True or False, not 'yes'"),
    "AUTO_INJECT": (1, " must be True or False, not 1"),
    "NONCE": (42, " must be a callable(request) -> str | None"),
    "EVENTS_API": ("token", " must be a dict of options, not str"),
    "CONSENT_GRANTED": (True, " must be a callable(request) -> bool"),
}
assert set(BAD_VALUES) == ALL_OPTIONS

#: ``PixelConfig`` fields that are no everyday word (those could appear in prose).
_FIELD_NAMES = sorted(f for f in {*CONFIG_OPTIONS.values(), "runtime_url"} if "_" in f)


def leaked_fields(message: str, key: Callable[[str], str]) -> list[str]:
    """The ``PixelConfig`` field names in ``message`` that are no key the user can write."""
    written = {key(option) for option in ALL_OPTIONS}
    return [
        name
        for name in _FIELD_NAMES
        if name not in written and re.search(rf"(?<![\w-]){name}(?![\w-])", message)
    ]
