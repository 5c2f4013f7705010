from __future__ import annotations

import hashlib
import logging
import uuid

import pytest
from markupsafe import Markup, escape

from tests.conftest import CODE
from tests.payload import payloads
from tiktok_pixel import Call, PageEvents, PixelConfig, collector


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def page(config: PixelConfig) -> PageEvents:
    return PageEvents(config)


def test_track_returns_a_fresh_uuid_event_id(page: PageEvents) -> None:
    first = page.track("AddToCart", value=19.99, currency="EUR")
    second = page.track("AddToCart")
    assert first and second and first != second
    assert str(uuid.UUID(first)) == first
    assert page.calls[0] == Call("track", "AddToCart", {"value": 19.99, "currency": "EUR"}, first)


def test_given_event_id_is_kept_and_numbers_become_strings(page: PageEvents) -> None:
    assert page.track("Purchase", event_id="order-1001") == "order-1001"
    assert page.track("Purchase", event_id=1002) == "1002"  # type: ignore[arg-type]


def test_all_documented_params_are_sent(page: PageEvents) -> None:
    page.track(
        "InitiateCheckout",
        contents=[{"content_id": "sku-1", "price": 10, "quantity": 2, "content_name": "Mug"}],
        value=20,
        currency="USD",
        content_type="product",
        query="mug",
        description="two mugs",
        order_id="o-1",
        shop_id="s-1",
        content_ids=["sku-1"],
        num_items=2,
        search_string="mug",
        coupon="WELCOME",
    )
    params = page.calls[0].params
    assert params["contents"][0] == {
        "content_id": "sku-1",
        "price": 10,
        "quantity": 2,
        "content_name": "Mug",
    }
    assert params["num_items"] == 2 and params["coupon"] == "WELCOME"
    assert set(params) == {
        "contents",
        "value",
        "currency",
        "content_type",
        "query",
        "description",
        "order_id",
        "shop_id",
        "content_ids",
        "num_items",
        "search_string",
        "coupon",
    }


def test_default_currency_fills_a_value_without_currency() -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE, default_currency="GBP"))
    page.track("AddToCart", value=5)
    page.track("ViewContent")
    assert page.calls[0].params == {"value": 5, "currency": "GBP"}
    assert page.calls[1].params == {}


def test_bad_data_is_dropped_with_one_warning(
    page: PageEvents, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        event_id = page.track("AddToCart", value="abc", currency="bitcoin", thing=object())
    assert event_id
    assert page.calls[0].params == {}
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "'AddToCart'" in message and "value is not a number" in message
    assert "currency" in message and "thing is not JSON-serialisable" in message


def test_coerced_values_log_one_warning_naming_event_and_fields(
    page: PageEvents, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        page.track(
            "AddToCart",
            value="19.99",
            currency=" eur",
            contents=[{"content_id": "mug", "price": "9.5", "quantity": 2}],
        )
    assert page.calls[0].params == {
        "value": 19.99,
        "currency": "EUR",
        "contents": [{"content_id": "mug", "price": 9.5, "quantity": 2}],
    }
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert message.startswith("TikTok event 'AddToCart': ")
    assert "value was a string, sent as the number 19.99" in message
    assert "currency ' eur' sent as 'EUR'" in message
    assert "contents[0].price was a string" in message and "left out" not in message


def test_values_of_the_right_type_log_nothing(
    page: PageEvents, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        page.track("AddToCart", value=19.99, currency="EUR", contents=[{"content_id": 7}])
    assert caplog.records == []


@pytest.mark.parametrize("name", ["", "   ", None, 42])
def test_unusable_event_name_is_dropped(
    page: PageEvents, name: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        event_id = page.track(name)  # type: ignore[arg-type]
        assert page.track(name, event_id=" order-1 ") == "order-1"  # type: ignore[arg-type]
    assert isinstance(event_id, str) and len(event_id) == 36  # a fresh UUID, never None
    assert page.calls == ()
    assert "event name must be a non-empty string" in caplog.text


def test_custom_name_close_to_a_standard_one_logs_a_hint(
    page: PageEvents, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hint is logged once per process: start from a process that has given none yet
    monkeypatch.setattr(collector, "_checked", set())
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        page.track("addtocart")
        page.track("MyOwnEvent")
    assert "did you mean 'AddToCart'" in caplog.text
    assert "MyOwnEvent" not in caplog.text
    assert page.calls[0].event == "addtocart"  # custom names are allowed as given


def test_identify_hashes_on_the_server(page: PageEvents) -> None:
    fields = page.identify(
        email=" Ann@Example.com ",
        phone_number="+44 7700 900123",
        external_id="u-1",
        first_name="Ann",
        last_name="Lee",
        city="London",
        country="GB",
        zip_code="SW1A 1AA",
    )
    assert fields == {
        "email": sha("ann@example.com"),
        "phone_number": sha("+447700900123"),
        "external_id": sha("u-1"),
        "first_name": sha("ann"),
        "last_name": sha("lee"),
        "city": "london",
        "country": "gb",
        "zip_code": sha("sw1a1aa"),
    }
    html = page.render()
    # whole runs only: random event ids may hold any short run of hex digits
    assert "Ann@Example.com" not in html and "7700 900" not in html and "7700900" not in html
    assert "SW1A" not in html


def test_invalid_identity_is_dropped_and_never_logged(
    page: PageEvents, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        fields = page.identify(email="ann.example.com", phone_number="12")
    assert fields == {}
    assert page.calls == ()
    assert "email dropped" in caplog.text and "phone_number dropped" in caplog.text
    assert "ann.example.com" not in caplog.text and "12" not in caplog.text.replace(
        "phone_number", ""
    )


def test_render_returns_markup_with_identify_first(page: PageEvents) -> None:
    track_id = page.track("ViewContent")
    page.identify(external_id="u-1")
    page.identify(external_id="u-1")  # identical identify calls render once
    html = page.render()
    assert isinstance(html, Markup)
    [payload] = payloads(html)
    assert payload["calls"] == [
        ["identify", {"external_id": sha("u-1")}],
        ["track", "ViewContent", {}, {"event_id": track_id}],
    ]


def test_render_is_deterministic_and_page_events_is_html(page: PageEvents) -> None:
    page.track("Search", query="mugs", event_id="e1")
    assert page.render() == page.render()
    assert escape(page) == page.render()  # Jinja and Django honour __html__


def test_add_extend_clear(page: PageEvents) -> None:
    call = Call("track", "Lead", {}, "e1")
    page.add(call)
    page.extend([call])
    assert len(page) == 2
    page.clear()
    assert page.calls == ()
    assert "0 call(s)" in repr(page)


def test_unexpected_errors_are_contained(
    page: PageEvents, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import phonenumbers

    from tiktok_pixel import hashing

    def broken_parse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("metadata for +44 7700 900123 is corrupt")

    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()
    monkeypatch.setattr(phonenumbers, "parse", broken_parse)

    class BadStr:
        def __str__(self) -> str:
            raise ValueError("boom")

    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        fields = page.identify(phone_number="+44 7700 900123", email="a@b.co")
        assert page.track("Lead", value=BadStr(), event_id=BadStr()) is not None
        monkeypatch.setattr("tiktok_pixel.collector.coerce_and_guard", broken_parse)
        assert page.track("Lead", event_id="kept-1") == "kept-1"  # dropped, the id still returned
        assert isinstance(page.track("Lead"), str)
    assert list(fields) == ["email"]  # the failing field is dropped, the rest kept
    assert "phone_number dropped: unexpected RuntimeError" in caplog.text
    assert "track call dropped after an unexpected error (RuntimeError)" in caplog.text
    assert "7700" not in caplog.text and "corrupt" not in caplog.text
    assert [call.method for call in page.calls] == ["identify", "track"]
