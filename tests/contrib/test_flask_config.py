"""Flask configuration: validated once at ``init_app``, failing with a message naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import CODE, CODE2
from tiktok_pixel.contrib.flask import TikTokPixel, get_state
from tiktok_pixel.contrib.flask.static_script import script_path


def app_with(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    return app


def test_init_app_and_constructor_forms() -> None:
    ext = TikTokPixel()
    first = app_with(TIKTOK_PIXEL_CODE=CODE)
    second = app_with(TIKTOK_PIXEL_CODE=[CODE, CODE2.lower()], TIKTOK_PIXEL_CONSENT="hold")
    ext.init_app(first)
    ext.init_app(second)
    TikTokPixel(third := app_with(TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_USE_EXISTING=True))
    assert get_state(first).config.pixel_codes == (CODE,)
    assert get_state(second).config.pixel_codes == (CODE, CODE2)
    assert get_state(second).config.consent == "hold"
    assert get_state(third).config.use_existing_pixel
    assert first.extensions["tiktok_pixel"] is TikTokPixel.state(first)
    assert not hasattr(ext, "app")


def test_every_option_reaches_the_state() -> None:
    events_api = {"ACCESS_TOKEN": "raw-token", "ENDPOINT": "http://127.0.0.1:9/track/"}
    consent_granted = lambda request: True  # noqa: E731
    app = app_with(
        TIKTOK_PIXEL_CODE=CODE,
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_USE_EXISTING=False,
        TIKTOK_PIXEL_AUTO_PAGE_VIEW=False,
        TIKTOK_PIXEL_LIMITED_DATA_USE=True,
        TIKTOK_PIXEL_CONSENT="hold",
        TIKTOK_PIXEL_DEFAULT_CURRENCY="eur",
        TIKTOK_PIXEL_DEFAULT_PHONE_REGION="gb",
        TIKTOK_PIXEL_SDK_URL="/tiktok/events.js",
        TIKTOK_PIXEL_INLINE=False,
        TIKTOK_PIXEL_AUTO_INJECT=True,
        TIKTOK_PIXEL_NONCE=lambda request: "n",
        TIKTOK_PIXEL_EVENTS_API=events_api,
        TIKTOK_PIXEL_CONSENT_GRANTED=consent_granted,
        TIKTOK_PIXEL_MAPPINGS=None,  # unset: not passed on
    )
    TikTokPixel(app)
    state = get_state(app)
    assert state.mirror is not None and state.mirror.close(timeout=1)  # no thread was started
    assert state.mirror.api_config.endpoint == events_api["ENDPOINT"]
    assert state.consent_granted is consent_granted
    config = state.config
    assert state.enabled and state.auto_inject and state.nonce is not None
    assert state.events_api is events_api
    assert not config.auto_page_view and config.limited_data_use and config.consent == "hold"
    assert config.default_currency == "EUR" and config.default_phone_region == "GB"
    assert config.sdk_url == "/tiktok/events.js" and not config.inline
    assert config.runtime_url == state.script_url == script_path()


@pytest.mark.parametrize(
    "config, message",
    [
        ({"TIKTOK_PIXEL_CODE": "x"}, "TIKTOK_PIXEL_CODE: invalid TikTok pixel code 'x'"),
        ({}, "TIKTOK_PIXEL_CODE is required, unless TIKTOK_PIXEL_USE_EXISTING is set"),
        (
            {"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_ID": CODE},
            "app.config has unknown TikTok pixel option(s): TIKTOK_PIXEL_ID; "
            "did you mean TIKTOK_PIXEL_CODE?",
        ),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_CONSENT": "granted"}, "TIKTOK_PIXEL_CONSENT"),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_ENABLED": "yes"}, "TIKTOK_PIXEL_ENABLED must"),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_AUTO_INJECT": 1}, "TIKTOK_PIXEL_AUTO_INJECT"),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_NONCE": "static"}, "a fixed nonce defeats"),
        (
            {"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_DEFAULT_CURRENCY": "XYZ"},
            "TIKTOK_PIXEL_DEFAULT_CURRENCY",
        ),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_INLINE": "no"}, "TIKTOK_PIXEL_INLINE"),
        ({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_SDK_URL": "javascript:x"}, "SDK_URL"),
        # disabled still validates what is given
        ({"TIKTOK_PIXEL_ENABLED": False, "TIKTOK_PIXEL_CODE": "bad"}, "invalid TikTok pixel code"),
    ],
)
def test_invalid_config_raises_at_init_app(config: dict[str, Any], message: str) -> None:
    app = app_with(**config)
    with pytest.raises(ValueError) as info:
        TikTokPixel().init_app(app)
    assert message in str(info.value)
    assert "tiktok_pixel" not in app.extensions


def test_init_app_twice_raises() -> None:
    app = app_with(TIKTOK_PIXEL_CODE=CODE)
    TikTokPixel(app)
    with pytest.raises(RuntimeError, match="already set up"):
        TikTokPixel(app)
