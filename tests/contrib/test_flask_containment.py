"""Containment in Flask: a fault in tracking code never fails the request.

Each fault (a mapping callable that raises, a phone library error, a non-serialisable custom
property, a broken session value) gives a 200 page with the rest of the pixel intact and exactly
one logged warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import phonenumbers
import pytest
from flask import Flask, render_template_string

from tests.conftest import CODE
from tiktok_pixel import hashing
from tiktok_pixel.contrib.flask import TikTokPixel, pixel
from tiktok_pixel.contrib.flask.carryover import SESSION_KEY
from tiktok_pixel.testing import calls_in


def exploding_source(event: object) -> object:
    raise RuntimeError("a bug in the shop's own mapping code")


def exploding_parse(*args: object, **kwargs: object) -> object:
    raise RuntimeError("phonenumbers metadata is broken")


PAGE = "<!doctype html><html><head>{% tiktok_pixel %}</head><body>ok</body></html>"


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="s",
        TIKTOK_PIXEL_CODE=CODE,
        TIKTOK_PIXEL_ENABLED=True,
        TIKTOK_PIXEL_MAPPINGS={
            "mappings": [{"name": "product_added", "params": {"value": exploding_source}}]
        },
    )
    TikTokPixel(app)

    @app.get("/fault/<kind>")
    def fault(kind: str) -> str:
        if kind == "mapping":
            pixel.segment(
                {
                    "type": "track",
                    "event": "Product Added",
                    "messageId": "m-1",
                    "properties": {"product_id": "sku-1", "price": 5},
                }
            )
        elif kind == "phone":
            pixel.identify(email="ann@example.com", phone_number="+44 7700 900123")
        elif kind == "unserialisable":
            pixel.track("Lead", value=3, currency="EUR", extra=object())
        pixel.track("ViewContent", event_id="intact")
        return render_template_string(PAGE)

    @app.get("/poison")
    def poison() -> str:
        from flask import session

        session[SESSION_KEY] = [{"method": 1}, "junk", {"method": "track", "params": "x"}]
        return "poisoned"

    return app


@pytest.fixture
def broken_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()
    monkeypatch.setattr(phonenumbers, "parse", exploding_parse)
    yield
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("tiktok_pixel") and r.levelno >= logging.WARNING
    ]


def fetch(app: Flask, path: str, caplog: pytest.LogCaptureFixture) -> tuple[str, list[str]]:
    client = app.test_client()
    if path == "/fault/session":
        client.get("/poison")
        path = "/fault/none"
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), warnings_of(caplog)


@pytest.mark.usefixtures("broken_phonenumbers")
@pytest.mark.parametrize(
    ("path", "expected_warning"),
    [
        ("/fault/mapping", "RuntimeError"),
        ("/fault/phone", "phone_number dropped: unexpected RuntimeError"),
        ("/fault/unserialisable", "extra is not JSON-serialisable"),
        ("/fault/session", "unreadable call(s) carried in the session"),
    ],
)
def test_a_fault_gives_a_200_page_with_the_rest_of_the_pixel_and_one_warning(
    app: Flask, caplog: pytest.LogCaptureFixture, path: str, expected_warning: str
) -> None:
    html, warnings = fetch(app, path, caplog)
    assert len(warnings) == 1, warnings
    assert expected_warning in warnings[0]
    calls = calls_in(html)
    tracked = {(c.event, c.event_id) for c in calls if c.method == "track"}
    assert ("ViewContent", "intact") in tracked
    assert [c.method for c in calls][:2] == ["load", "page"]
    if path == "/fault/mapping":
        assert ("AddToCart", "m-1") in tracked  # the event still goes, without the broken field
    if path == "/fault/phone":
        assert [c.params for c in calls if c.method == "identify"] == [
            {"email": hashing.hash_field("email", "ann@example.com")}
        ]
    for text in warnings:
        assert "7700" not in text and "ann@" not in text and "shop's own" not in text


def test_configuration_errors_fail_loudly_at_start_up() -> None:
    app = Flask(__name__)
    app.config.update(TIKTOK_PIXEL_CODE="not a code")
    with pytest.raises(ValueError, match="invalid TikTok pixel code"):
        TikTokPixel(app)
    app = Flask(__name__)
    app.config.update(TIKTOK_PIXEL_CODE=CODE, TIKTOK_PIXEL_MAPPINGS={"mappings": [{"name": 3}]})
    with pytest.raises(ValueError, match="mappings"):
        TikTokPixel(app)
