from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CODE
from tiktok_pixel import PixelConfig
from tiktok_pixel.contrib.options import (
    config_from_options,
    flask_key,
    suggest_option,
    unknown_options,
)


def test_flask_keys() -> None:
    assert flask_key("PIXEL_CODE") == "TIKTOK_PIXEL_CODE"
    assert flask_key("USE_EXISTING") == "TIKTOK_PIXEL_USE_EXISTING"


def test_options_build_the_config() -> None:
    config = config_from_options(
        {"PIXEL_CODE": [CODE], "USE_EXISTING": True, "CONSENT": "hold", "ENABLED": True},
        source="settings.TIKTOK_PIXEL",
        runtime_url="/static/tiktok_pixel/tiktok_pixel.js",
    )
    assert config.pixel_codes == (CODE,)
    assert config.use_existing_pixel and config.consent == "hold"
    assert config.runtime_url == "/static/tiktok_pixel/tiktok_pixel.js"


def test_unknown_and_invalid_options_name_the_source() -> None:
    assert unknown_options({"PIXEL_ID": 1, "ENABLED": True}) == ["PIXEL_ID"]
    with pytest.raises(ValueError) as info:
        config_from_options({"PIXEL_ID": CODE}, source="app.config")
    assert "unknown TikTok pixel option(s) in app.config: PIXEL_ID" in str(info.value)
    with pytest.raises(ValueError) as info:
        config_from_options({"PIXEL_CODE": "x"}, source="settings.TIKTOK_PIXEL")
    assert "settings.TIKTOK_PIXEL: invalid TikTok pixel code 'x'" in str(info.value)


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("ID", "PIXEL_CODE"),
        ("pixel_id", "PIXEL_CODE"),
        ("USE_EXISTNG", "USE_EXISTING"),
        ("AUTO_INJCT", "AUTO_INJECT"),
        ("LDU", "LIMITED_DATA_USE"),
        ("COLOUR", None),
    ],
)
def test_misspelt_or_aliased_options_get_a_suggestion(name: str, meant: str | None) -> None:
    assert suggest_option(name) == meant


@pytest.mark.parametrize(
    ("options", "option_name", "message"),
    [
        (
            {"PIXEL_CODE": CODE, "DEFAULT_CURRENCY": "eu"},
            flask_key,
            "app.config: TIKTOK_PIXEL_DEFAULT_CURRENCY 'eu' is not an ISO 4217 code",
        ),
        (
            {},
            flask_key,
            "app.config: a TikTok pixel code is required (TIKTOK_PIXEL_CODE), unless "
            "TIKTOK_PIXEL_USE_EXISTING is set",
        ),
        (
            {"PIXEL_CODE": CODE, "CONSENT": "granted"},
            repr,
            "app.config: 'CONSENT' must be None or 'hold', not 'granted'",
        ),
        (
            {"PIXEL_CODE": CODE, "MAPPINGS": {"sets": []}},
            flask_key,
            "app.config: TIKTOK_PIXEL_MAPPINGS: unknown key(s) sets; did you mean 'set'?",
        ),
    ],
)
def test_errors_name_the_option_as_the_user_wrote_it(
    options: dict[str, object], option_name: Callable[[str], str], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        config_from_options(options, source="app.config", option_name=option_name)
    assert str(info.value).startswith(message)
    assert "pixel_codes" not in str(info.value) and "default_currency" not in str(info.value)


def test_a_misspelt_pixel_config_field_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match=r"pixel_code; did you mean 'pixel_codes'\?"):
        PixelConfig.from_mapping({"pixel_code": CODE})
