"""Flask: ``TIKTOK_PIXEL_PII_POLICY`` and ``TIKTOK_PIXEL_URL_PARAMS_ALLOWED`` reach the guard."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string

from tests.conftest import CODE
from tiktok_pixel import PiiError
from tiktok_pixel.contrib.flask import TikTokPixel, pixel
from tiktok_pixel.testing import calls_in

PAGE = "<!doctype html><html><head>{% tiktok_pixel %}</head><body>hi</body></html>"


def shop(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_ENABLED=True, **config)
    TikTokPixel(app)

    @app.get("/lead")
    def lead() -> str:
        pixel.track("Lead", customerEmail="ann@example.com", link="/p?e=ann@example.com&ref=x")
        return render_template_string(PAGE)

    return app


def test_drop_and_allow_list_from_app_config() -> None:
    app = shop(TIKTOK_PIXEL_PII_POLICY="drop", TIKTOK_PIXEL_URL_PARAMS_ALLOWED=["ref"])
    response = app.test_client().get("/lead")
    [track] = calls_in(response).tracks
    assert track.params == {"link": "/p?e=[redacted]&ref=x"}
    assert b"ann@example.com" not in response.data


def test_raise_reaches_the_view() -> None:
    app = shop(TIKTOK_PIXEL_PII_POLICY="raise")
    app.testing = True
    with pytest.raises(PiiError, match="customerEmail"):
        app.test_client().get("/lead")


def test_a_bad_policy_fails_at_start_up_naming_the_key() -> None:
    with pytest.raises(ValueError, match="TIKTOK_PIXEL_PII_POLICY"):
        shop(TIKTOK_PIXEL_PII_POLICY="off")
