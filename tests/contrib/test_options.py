from __future__ import annotations

import pytest

from tests.conftest import CODE
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
