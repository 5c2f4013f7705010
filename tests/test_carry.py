"""What crosses a redirect: its stored form, its limit, and what is refused on return."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.carry_forge import forge
from tiktok_pixel import Call, PageEvents, PixelConfig, carry
from tiktok_pixel.carry_cookie import CarryCookie

CODE = "C3MV4QR3G487IS97GFI0"
SECRET = "test-secret"


def shop_calls(pairs: int) -> list[Call]:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    for i in range(pairs):
        page.identify(email=f"user{i}@example.com")
        page.track("AddToCart", value=19.99, currency="EUR", content_ids=[f"sku-{i}"])
    return list(page.calls)


def test_calls_come_back_as_they_went() -> None:
    calls = shop_calls(2)
    assert [carry.checked(item) for item in carry.encode(calls)] == calls
    jar = CarryCookie(SECRET)
    assert jar.read(jar.dumps(calls)) == calls


def test_the_limit_keeps_the_carry_cookie_well_under_4_kb() -> None:
    full = carry.merge(None, shop_calls(carry.MAX_CARRIED))
    assert len(full) == carry.MAX_CARRIED
    jar = CarryCookie(SECRET)
    calls = [carry.checked(item) for item in full]
    header = jar.header(jar.dumps(calls))  # the whole Set-Cookie value, attributes included
    assert len(header) < 2048
    assert jar.read(header.split(";")[0].partition("=")[2]) == calls


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
def test_an_entry_the_collector_would_not_make_is_refused(
    entry: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValueError):
        carry.checked(entry)
    good = carry.encode(shop_calls(1))
    jar = CarryCookie(SECRET)
    assert jar.read(forge(SECRET, good)) == [carry.checked(item) for item in good]
    # signed with the site's own key, yet holding it: the whole carry is ignored, one warning
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert jar.loads(forge(SECRET, [*good, entry])) is None
    [record] = caplog.records
    assert "holds a call the collector would not queue" in record.getMessage()
