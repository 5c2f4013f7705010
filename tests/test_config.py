from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import CODE, CODE2
from tiktok_pixel import DEFAULT_SDK_URL, PixelConfig


def test_codes_are_trimmed_uppercased_and_deduplicated() -> None:
    config = PixelConfig(pixel_codes=[f"  {CODE.lower()} ", CODE, CODE2])
    assert config.pixel_codes == (CODE, CODE2)


def test_single_code_string() -> None:
    assert PixelConfig(pixel_codes=CODE).pixel_codes == (CODE,)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ABC",
        "C3MV4QR3G487IS97GFI0-X",
        "C3MV4QR3G487<script>",
        "A" * 25,
        "C3MV 4QR3G487IS97GFI0",
    ],
)
def test_bad_code_is_rejected_with_the_value_and_the_format(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        PixelConfig(pixel_codes=[bad])
    message = str(info.value)
    assert repr(bad) in message
    assert "16 to 24 letters A-Z and digits 0-9" in message


def test_non_string_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid TikTok pixel code 123"):
        PixelConfig(pixel_codes=[123])  # type: ignore[list-item]


def test_boundary_lengths_are_accepted() -> None:
    assert PixelConfig(pixel_codes="A" * 16).pixel_codes == ("A" * 16,)
    assert PixelConfig(pixel_codes="9" * 24).pixel_codes == ("9" * 24,)


def test_a_code_is_required_unless_an_existing_pixel_is_used() -> None:
    with pytest.raises(
        ValueError, match=r"^pixel_codes is required, unless use_existing_pixel is set$"
    ):
        PixelConfig()
    assert PixelConfig(use_existing_pixel=True).pixel_codes == ()


def test_defaults() -> None:
    config = PixelConfig(pixel_codes=CODE)
    assert config.use_existing_pixel is False
    assert config.auto_page_view is True
    assert config.limited_data_use is False
    assert config.consent is None
    assert config.default_currency is None
    assert config.sdk_url == DEFAULT_SDK_URL
    assert config.inline is True
    assert config.payload_settings() == {"pixels": [CODE]}


def test_config_is_frozen() -> None:
    config = PixelConfig(pixel_codes=CODE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.auto_page_view = False  # type: ignore[misc]


def test_settings_reach_the_payload() -> None:
    config = PixelConfig(
        pixel_codes=CODE,
        limited_data_use=True,
        consent="hold",
        auto_page_view=False,
        sdk_url="/static/events.js",
    )
    assert config.payload_settings() == {
        "pixels": [CODE],
        "sdk": "/static/events.js",
        "options": {"limited_data_use": True},
        "hold": True,
        "page": False,
    }


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"consent": "granted"}, "consent must be None or 'hold'"),
        ({"default_currency": "XYZ"}, "default_currency 'XYZ'"),
        ({"default_phone_region": "XX"}, "default_phone_region 'XX'"),
        ({"sdk_url": "javascript:alert(1)"}, "sdk_url must be"),
        ({"sdk_url": 'https://x.test/e.js"'}, "sdk_url must be"),
        ({"sdk_url": "https://x.test/e.js?a=1"}, "without query"),
        ({"inline": False}, "inline=False needs runtime_url"),
        ({"auto_page_view": "false"}, "auto_page_view must be True or False, not 'false'"),
        ({"limited_data_use": 1}, "limited_data_use must be True or False"),
    ],
)
def test_invalid_settings_fail_with_a_precise_message(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        PixelConfig(pixel_codes=CODE, **kwargs)
    assert fragment in str(info.value)


def test_currency_and_region_are_normalised() -> None:
    config = PixelConfig(pixel_codes=CODE, default_currency=" eur", default_phone_region="gb")
    assert config.default_currency == "EUR"
    assert config.default_phone_region == "GB"


def test_from_mapping_rejects_unknown_options() -> None:
    with pytest.raises(ValueError) as info:
        PixelConfig.from_mapping({"pixel_codes": CODE, "pixel_id": "x"}, source="TIKTOK_PIXEL")
    assert "unknown TikTok pixel option(s) in TIKTOK_PIXEL: pixel_id" in str(info.value)
    assert "use_existing_pixel" in str(info.value)


def test_equal_configs_compare_equal_and_hash() -> None:
    assert PixelConfig(pixel_codes=CODE) == PixelConfig(pixel_codes=CODE.lower())
    assert hash(PixelConfig(pixel_codes=CODE)) == hash(PixelConfig(pixel_codes=CODE))
