from __future__ import annotations

import json

import pytest

from tests.conftest import CODE
from tests.payload import payloads
from tiktok_pixel import PageEvents, PixelConfig, hash_field, sha256_hex
from tiktok_pixel.calls import Call
from tiktok_pixel.events_api import (
    RequestInfo,
    api_event,
    encode_body,
    events_from_calls,
    request_body,
    user_from_identity,
)

REQUEST = RequestInfo(
    ip="203.0.113.7",
    user_agent="UA/1.0",
    url="https://shop.example/p/1",
    referrer="https://ref.example/",
    ttp="ttp-cookie",
    ttclid="E.C.P.click",
)


def test_user_keys_use_phone_not_phone_number() -> None:
    fields = {"email": "e" * 64, "phone_number": "p" * 64, "external_id": "x" * 64, "city": ""}
    expected = {"email": "e" * 64, "phone": "p" * 64, "external_id": "x" * 64}
    assert user_from_identity(fields) == expected


def test_one_event_has_every_documented_part() -> None:
    item = api_event(
        "Purchase",
        "order-77",
        event_time=1_700_000_000.9,
        properties={"value": 19.99, "currency": "EUR"},
        identity={"email": sha256_hex("a@b.co")},
        request=REQUEST,
        limited_data_use=True,
    )
    assert item == {
        "event": "Purchase",
        "event_time": 1_700_000_000,
        "event_id": "order-77",
        "user": {
            "email": sha256_hex("a@b.co"),
            "ttp": "ttp-cookie",
            "ttclid": "E.C.P.click",
            "ip": "203.0.113.7",
            "user_agent": "UA/1.0",
        },
        "properties": {"value": 19.99, "currency": "EUR"},
        "page": {"url": "https://shop.example/p/1", "referrer": "https://ref.example/"},
        "limited_data_use": True,
    }
    bare = api_event("ViewContent", "id-1")
    assert set(bare) == {"event", "event_time", "event_id", "user"}
    assert isinstance(bare["event_time"], int)


def test_events_from_a_page_match_the_pixel_exactly() -> None:
    """Same event_id and the very same hashed identify fields as the rendered pixel calls."""
    page = PageEvents(PixelConfig(pixel_codes=CODE, default_phone_region="GB"))
    page.track("AddToCart", value="19.99", currency="eur", content_ids=["sku-1"])
    page.identify(email=" Jane.Doe@Example.COM ", phone_number="07700 900123", external_id=" u-42 ")
    page.track("Purchase", value=5, currency="EUR", event_id="order-9")
    rendered = payloads(str(page.render()))[0]["calls"]
    pixel_identify = next(c[1] for c in rendered if c[0] == "identify")
    pixel_tracks = [(c[1], c[2], c[3]["event_id"]) for c in rendered if c[0] == "track"]

    items = events_from_calls(page.calls, request=REQUEST, event_time=1_700_000_000)
    assert [code for code, _ in items] == [None, None]
    server = [(i["event"], i["properties"], i["event_id"]) for _, i in items]
    assert server == pixel_tracks
    email, phone = sha256_hex("jane.doe@example.com"), sha256_hex("+447700900123")
    for _, item in items:
        # identify applies to every track on the page, as it does in the browser
        assert item["user"]["email"] == pixel_identify["email"] == email
        assert item["user"]["phone"] == pixel_identify["phone_number"] == phone
        assert item["user"]["external_id"] == pixel_identify["external_id"] == sha256_hex("u-42")
        assert "phone_number" not in item["user"]


def test_identity_argument_is_merged_under_the_page() -> None:
    calls = [
        Call("identify", None, {"email": hash_field("email", "page@x.io")}),
        Call("track", "ViewContent", {}, "ev-1", pixel_code=CODE),
        Call("page"),
    ]
    extra = {
        "email": hash_field("email", "other@x.io"),
        "external_id": hash_field("external_id", "7"),
    }
    [(code, item)] = events_from_calls(calls, identity=extra)
    assert code == CODE
    assert item["user"] == {
        "email": hash_field("email", "page@x.io"),
        "external_id": hash_field("external_id", "7"),
    }
    assert "properties" not in item and "page" not in item


def test_request_body_and_encoding() -> None:
    data = [api_event("Lead", "l-1", event_time=1)]
    body = request_body(CODE, data, test_event_code="TEST42")
    assert body == {
        "event_source": "web",
        "event_source_id": CODE,
        "data": data,
        "test_event_code": "TEST42",
    }
    assert "test_event_code" not in request_body(CODE, data)
    encoded = encode_body({"x": "é</script>"})
    assert json.loads(encoded) == {"x": "é</script>"} and b" " not in encoded
    with pytest.raises(ValueError):
        encode_body({"value": float("nan")})


def test_content_type_is_set_on_each_contents_item_too() -> None:
    """As TikTok's own server-side template does; an item's own content_type is kept."""
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.track(
        "AddToCart",
        content_type="product",
        contents=[
            {"content_id": "a", "price": 2},
            {"content_id": "b", "content_type": "product_group"},
        ],
    )
    page.track("ViewContent", contents=[{"content_id": "c"}])  # no content_type: none added
    (_, first), (_, second) = events_from_calls(page.calls)
    assert first["properties"]["content_type"] == "product"
    assert first["properties"]["contents"] == [
        {"content_id": "a", "price": 2, "content_type": "product"},
        {"content_id": "b", "content_type": "product_group"},
    ]
    assert second["properties"]["contents"] == [{"content_id": "c"}]
    assert page.calls[0].params["contents"][0] == {"content_id": "a", "price": 2}  # pixel untouched
