"""What crosses a redirect in the session: its form, its limit, and what is refused on return."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from tiktok_pixel import Call, PageEvents, PixelConfig, carry

CODE = "C3MV4QR3G487IS97GFI0"


def shop_calls(pairs: int) -> list[Call]:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    for i in range(pairs):
        page.identify(email=f"user{i}@example.com")
        page.track("AddToCart", value=19.99, currency="EUR", content_ids=[f"sku-{i}"])
    return list(page.calls)


def test_calls_come_back_as_they_went() -> None:
    calls = shop_calls(2)
    assert carry.decode(carry.encode(calls)) == calls


def test_the_limit_keeps_a_cookie_session_well_under_4_kb() -> None:
    app = Flask(__name__)
    app.secret_key = "test"
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    full = carry.merge(None, shop_calls(carry.MAX_CARRIED))
    assert len(full) == carry.MAX_CARRIED
    assert len(serializer.dumps({carry.SESSION_KEY: full, "user_id": 42})) < 2048


def test_merge_keeps_the_newest_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    calls = shop_calls(carry.MAX_CARRIED)  # twice the limit
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        merged = carry.merge(carry.encode(calls[:5]), calls[5:])
    assert merged == carry.encode(calls[-carry.MAX_CARRIED :])
    assert "the oldest 20 were dropped" in caplog.text


@pytest.mark.parametrize(
    "entry",
    [
        {"method": "track", "event": "AddToCart", "params": {}},  # no event_id
        {"method": "track", "event": " ", "params": {}, "event_id": "e"},
        {"method": "track", "event": "A", "params": {}, "event_id": "e", "pixel_code": CODE},
        {"method": "identify", "params": {"email": 5}},
        {"method": "identify", "event": "x", "params": {}},
        {"method": "load", "params": {}},
        {"method": "track", "event": "A", "params": [], "event_id": "e"},
        "not a dict",
    ],
)
def test_an_entry_the_collector_would_not_make_is_left_out(
    entry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    good = carry.encode(shop_calls(1))
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert carry.decode([*good, entry]) == carry.decode(good)
    assert "1 unreadable call(s)" in caplog.text
