"""Containment in Flask: a fault in tracking code never fails the request.

Each fault (a mapping callable that raises, a phone library error, a non-serialisable custom
property, a broken carry cookie) gives a 200 page with the rest of the pixel intact and exactly
one logged warning.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask, render_template_string

from tests.carry_forge import COOKIE_NAME, forge
from tests.conftest import CODE
from tests.contrib.faults import (
    FAULTS,
    POISONED_CARRY,
    assert_contained,
    faulty_mappings,
    pixel_warnings,
    track_with_fault,
)
from tiktok_pixel.contrib.flask import TikTokPixel, pixel

PAGE = "<!doctype html><html><head>{% tiktok_pixel %}</head><body>ok</body></html>"


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="s",
        TIKTOK_PIXEL_CODE=CODE,
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_MAPPINGS=faulty_mappings(),
    )
    TikTokPixel(app)

    @app.get("/fault/<kind>")
    def fault(kind: str) -> str:
        track_with_fault(pixel, kind)
        return render_template_string(PAGE)

    return app


@pytest.mark.usefixtures("broken_phonenumbers")
@pytest.mark.parametrize(("kind", "expected_warning"), FAULTS)
def test_a_fault_gives_a_200_page_with_the_rest_of_the_pixel_and_one_warning(
    app: Flask, caplog: pytest.LogCaptureFixture, kind: str, expected_warning: str
) -> None:
    client = app.test_client()
    if kind == "cookie":  # signed with the app's key: only the entries are wrong
        client.set_cookie(COOKIE_NAME, forge("s", POISONED_CARRY))
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/fault/{kind}")
    assert response.status_code == 200
    assert_contained(
        response.get_data(as_text=True), pixel_warnings(caplog), kind, expected_warning
    )


def test_configuration_errors_fail_loudly_at_start_up() -> None:
    app = Flask(__name__)
    app.config.update(TIKTOK_PIXEL_CODE="not a code")
    with pytest.raises(ValueError, match="invalid TikTok pixel code"):
        TikTokPixel(app)
    app = Flask(__name__)
    app.config.update(TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_MAPPINGS={"mappings": [{"name": 3}]})
    with pytest.raises(ValueError, match="mappings"):
        TikTokPixel(app)
