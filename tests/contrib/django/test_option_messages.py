"""Every option's error through Django's system checks, named as the ``TIKTOK_PIXEL`` dict has it.

The same table of refused values as Flask, Starlette and the CLI (``tests/contrib/bad_options.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import CODE
from tests.contrib.bad_options import BAD_VALUES, leaked_fields
from tiktok_pixel.contrib.django.conf import get_settings

IDS = {"PIXEL_CODE": "E001", "EVENTS_API": "E009", "CONSENT_GRANTED": "E010"}


def pixel_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]


@pytest.mark.parametrize("option", sorted(BAD_VALUES))
def test_each_option_is_named_as_the_setting_has_it(settings: Any, option: str) -> None:
    value, after = BAD_VALUES[option]
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, option: value}
    [message] = pixel_messages()
    assert message.id == f"tiktok_pixel.{IDS.get(option, 'E003')}"
    assert f"settings.TIKTOK_PIXEL[{option!r}]{after}" in message.msg
    assert message.hint
    assert leaked_fields(message.msg, str) == []
    with pytest.raises(ImproperlyConfigured) as info:
        get_settings()
    assert message.msg in str(info.value)


def test_the_missing_code_names_both_keys(settings: Any) -> None:
    settings.TIKTOK_PIXEL = {}
    [message] = pixel_messages()
    assert message.id == "tiktok_pixel.E005"
    assert message.msg == (
        "settings.TIKTOK_PIXEL['PIXEL_CODE'] is required, unless "
        "settings.TIKTOK_PIXEL['USE_EXISTING'] is set."
    )


def test_an_unknown_key_names_the_setting_and_the_suggestion(settings: Any) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "PIXEL_ID": CODE}
    [message] = pixel_messages()
    assert message.id == "tiktok_pixel.E002"
    assert message.msg == "settings.TIKTOK_PIXEL has unknown TikTok pixel option(s): PIXEL_ID."
    assert message.hint.startswith("Did you mean PIXEL_CODE? known options are AUTO_INJECT, ")
