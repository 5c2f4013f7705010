"""Segment-spec events in, exact TikTok calls out: every default mapping and every preset."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest

from tests.conftest import CODE
from tests.segment_events import (
    EMAIL,
    IDENTIFY,
    MONOPOLY_ITEM,
    ORDER_CONTENTS,
    PHONE,
    USER_ID,
    spec_event,
)
from tiktok_pixel import MappedEvent, PageEvents, PixelConfig, map_event
from tiktok_pixel.mappings import PRESETS, EventMapping, Subscription, path

ID = ["identify", IDENTIFY]
FALLBACKS = {"currency": "USD", "content_type": "product"}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def calls_for(event: dict[str, Any], **config: Any) -> list[list[Any]]:
    page = PageEvents(PixelConfig(pixel_codes=CODE, **config))
    queued = page.segment(event)
    assert list(page.calls) == queued
    return [call.args() for call in queued]


def track(event: str, params: dict[str, Any], source: str) -> list[Any]:
    return ["track", event, params, {"event_id": f"msg-{source.lower().replace(' ', '-')}"}]


#: (Segment event, TikTok event, exact params) for the seven defaults.
DEFAULT_CASES = [
    ("page", "ViewContent", {"contents": [{"content_name": "Home"}], **FALLBACKS}),
    ("Products Searched", "Search", {"query": "blue roses", **FALLBACKS}),
    ("Product Added to Wishlist", "AddToWishlist", {"contents": [MONOPOLY_ITEM], **FALLBACKS}),
    ("Product Added", "AddToCart", {"contents": [MONOPOLY_ITEM], **FALLBACKS}),
    (
        "Checkout Started",
        "InitiateCheckout",
        {
            "contents": ORDER_CONTENTS,
            "value": 30,  # value wins over revenue
            "currency": "USD",
            "order_id": "50314b8e9bcf000000000000",
            "content_type": "product",
        },
    ),
    (
        "Payment Info Entered",
        "AddPaymentInfo",
        {"order_id": "dkfsjidfjsdifsdfksdjfkdsfjsdfkdsf", **FALLBACKS},
    ),
    (
        "Order Completed",
        "PlaceAnOrder",
        {
            "contents": ORDER_CONTENTS,
            "value": 25.0,  # revenue, as the spec event has no value
            "currency": "USD",
            "order_id": "50314b8e9bcf000000000000",
            "content_type": "product",
        },
    ),
]


@pytest.mark.parametrize(("source", "tiktok", "params"), DEFAULT_CASES, ids=lambda v: str(v)[:20])
def test_default_mapping(source: str, tiktok: str, params: dict[str, Any]) -> None:
    assert calls_for(spec_event(source)) == [ID, track(tiktok, params, source)]


ORDER = {
    "contents": ORDER_CONTENTS,
    "value": 25.0,
    "currency": "USD",
    "order_id": "50314b8e9bcf000000000000",
    "content_type": "product",
}

#: (preset name, Segment event, TikTok event, exact params) for the whole catalogue.
PRESET_CASES = [
    ("order_completed", "Order Completed", "CompletePayment", ORDER),
    ("order_placed", "Order Placed", "PlaceAnOrder", ORDER),
    (
        "product_viewed",
        "Product Viewed",
        "ViewContent",
        # the spec example's lowercase "usd" is sent as TikTok's uppercase code
        {"contents": [MONOPOLY_ITEM], "value": 18.99, "currency": "USD", "content_type": "product"},
    ),
    (
        "product_clicked",
        "Product Clicked",
        "ClickButton",
        {"contents": [MONOPOLY_ITEM], **FALLBACKS},
    ),
    ("callback_started", "Callback Started", "Contact", FALLBACKS),
    (
        "subscription_created",
        "Subscription Created",
        "Subscribe",
        {"value": 12, "currency": "EUR", "content_type": "product"},
    ),
    ("form_submitted", "Form Submitted", "SubmitForm", FALLBACKS),
    (
        "download_link_clicked",
        "Download Link Clicked",
        "Download",
        {"description": "Brochure", **FALLBACKS},
    ),
    ("signed_up", "Signed Up", "CompleteRegistration", FALLBACKS),
    ("products_searched", "Products Searched", "Search", {"query": "blue roses", **FALLBACKS}),
    (
        "product_added_to_wishlist",
        "Product Added to Wishlist",
        "AddToWishlist",
        {"contents": [MONOPOLY_ITEM], **FALLBACKS},
    ),
    ("product_added", "Product Added", "AddToCart", {"contents": [MONOPOLY_ITEM], **FALLBACKS}),
    ("checkout_started", "Checkout Started", "InitiateCheckout", DEFAULT_CASES[4][2]),
    ("payment_info_entered", "Payment Info Entered", "AddPaymentInfo", DEFAULT_CASES[5][2]),
]


def test_every_preset_has_a_case() -> None:
    assert {case[0] for case in PRESET_CASES} | {"page"} == set(PRESETS)


@pytest.mark.parametrize(("name", "source", "tiktok", "params"), PRESET_CASES, ids=lambda v: v)
def test_preset(name: str, source: str, tiktok: str, params: dict[str, Any]) -> None:
    identify = ID
    if source == "Signed Up":  # the spec event carries the names: they go to identify, hashed
        identify = ["identify", {**IDENTIFY, "first_name": sha("ann"), "last_name": sha("lee")}]
    expected = [identify, track(tiktok, params, source)]
    assert calls_for(spec_event(source), mappings={"presets": [name]}) == expected
    # the same event with the set "none" and only this preset: nothing else fires either
    assert calls_for(spec_event(source), mappings={"set": "none", "presets": [name]}) == expected


def test_pageview_preset_needs_auto_page_view_off() -> None:
    event = spec_event("page")
    calls = calls_for(event, mappings={"presets": ["page"]}, auto_page_view=False)
    assert calls == [ID, track("Pageview", FALLBACKS, "page")]


def test_preset_replaces_the_default_of_the_same_name() -> None:
    calls = calls_for(spec_event("Order Completed"), mappings={"presets": ["order_completed"]})
    assert [c[1] for c in calls if c[0] == "track"] == ["CompletePayment"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Order Completed", "Purchase"),
        ("Form Submitted", "Lead"),
        ("Signed Up", "CompleteRegistration"),
        ("Product Viewed", "ViewContent"),
        ("Product Clicked", None),  # ClickButton: no current name, sunset in 2027
        ("Order Placed", None),  # PlaceAnOrder: the same
        ("page", None),  # ttq.page() on load covers page views
    ],
)
def test_tiktok_2025_set(source: str, expected: str | None) -> None:
    calls = calls_for(spec_event(source), mappings={"set": "tiktok_2025"})
    assert [c[1] for c in calls if c[0] == "track"] == ([expected] if expected else [])


def test_segment_set_is_segments_current_catalogue() -> None:
    assert calls_for(spec_event("page"), mappings={"set": "segment"}) == []
    calls = calls_for(spec_event("Order Completed"), mappings={"set": "segment"})
    assert calls == [ID, track("CompletePayment", ORDER, "Order Completed")]


# --- identify events ----------------------------------------------------------------------


def test_identify_event_queues_identify_from_traits() -> None:
    event = {
        "type": "identify",
        "messageId": "m-9",
        "userId": "97980cfea0067",
        "traits": {
            "email": ["peter@example.com", "p2@example.com"],
            "phone": "+1 415 555 0100",
            "first_name": "Peter",
            "last_name": "Gibbons",
            "address": {
                "city": "San Francisco",
                "state": "CA",
                "country": "US",
                "postal_code": "94107",
            },
        },
    }
    assert calls_for(event) == [
        [
            "identify",
            {
                "email": sha("peter@example.com"),
                "phone_number": sha("+14155550100"),
                "external_id": sha("97980cfea0067"),
                "first_name": sha("peter"),
                "last_name": sha("gibbons"),
                "city": "sanfrancisco",
                "state": "ca",
                "country": "us",
                "zip_code": sha("94107"),
            },
        ]
    ]


def test_identify_event_falls_back_to_context_traits_and_anonymous_id() -> None:
    event = {"type": "identify", "anonymousId": "anon-1", "context": {"traits": {"email": EMAIL}}}
    assert calls_for(event) == [
        ["identify", {"email": IDENTIFY["email"], "external_id": sha("anon-1")}]
    ]


def test_identify_can_be_switched_off() -> None:
    event = {"type": "identify", "userId": "u", "traits": {"email": EMAIL}}
    assert calls_for(event, mappings={"disable": ["identify"]}) == []


# --- field defaults -----------------------------------------------------------------------


def test_map_event_result_is_raw_and_complete() -> None:
    config = PixelConfig(pixel_codes=CODE)
    event = spec_event("Order Completed")
    event["properties"]["address"] = {"city": "London", "postal_code": "SW1A 1AA"}
    (mapped,) = map_event(event, config)
    assert mapped == MappedEvent(
        event="PlaceAnOrder",
        params={
            "contents": ORDER_CONTENTS,
            "value": 25.0,
            "currency": "USD",
            "order_id": "50314b8e9bcf000000000000",
            "content_type": "product",
        },
        identity={
            "email": EMAIL,
            "phone_number": PHONE,
            "external_id": USER_ID,
            "first_name": None,
            "last_name": None,
            "city": "London",
            "state": None,
            "country": None,
            "zip_code": "SW1A 1AA",
        },
        event_id="msg-order-completed",
        timestamp="2025-05-11T10:00:00.000Z",
        source="Order Completed",
    )


def test_zero_value_is_a_value() -> None:
    event = spec_event("Product Added", properties={"value": 0, "revenue": 10, "currency": "EUR"})
    (mapped,) = map_event(event, PixelConfig(pixel_codes=CODE))
    assert mapped.params["value"] == 0
    assert calls_for(event)[1][2]["value"] == 0


def test_properties_win_over_context_traits_and_arrays_use_the_first() -> None:
    event = spec_event(
        "Product Added",
        properties={
            "email": ["", "first@shop.test", "second@shop.test"],
            "phone": ["+33 6 12 34 56 78"],
        },
    )
    (mapped,) = map_event(event, PixelConfig(pixel_codes=CODE))
    assert mapped.identity["email"] == "first@shop.test"
    assert mapped.identity["phone_number"] == "+33 6 12 34 56 78"
    assert calls_for(event)[0][1]["phone_number"] == sha("+33612345678")


def test_external_id_falls_back_to_anonymous_id() -> None:
    event = spec_event("Products Searched", context={})
    del event["userId"]
    assert calls_for(event)[0] == [
        "identify",
        {"external_id": sha("anon-507f191e810c19729de860ea")},
    ]


def test_no_match_keys_means_no_identify() -> None:
    event = {"type": "track", "event": "Products Searched", "properties": {"query": "x"}}
    calls = calls_for(event)
    assert [c[0] for c in calls] == ["track"]
    assert calls[0][3]["event_id"]  # no messageId: a fresh id, still a string


def test_unmapped_and_ignored_types_queue_nothing(caplog: pytest.LogCaptureFixture) -> None:
    for event in (
        {"type": "track", "event": "Coupon Entered", "properties": {}},
        {"type": "screen", "name": "Home"},
        {"type": "group", "groupId": "g", "traits": {}},
        {"type": "alias", "previousId": "a", "userId": "b"},
    ):
        assert calls_for(event) == []
    assert caplog.records == []


# --- bad data -----------------------------------------------------------------------------


def test_properties_not_an_object_is_a_warning_not_an_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = spec_event("Product Added", properties=["ann@example.com"])
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert calls_for(event) == []
    assert "'Product Added'" in caplog.text and "properties is not an object" in caplog.text
    assert "ann@example.com" not in caplog.text


@pytest.mark.parametrize(
    "event",
    [None, "Order Completed", 42, {"type": "purchase"}, {"type": 3}, {}],
    ids=["none", "str", "int", "unknown-type", "int-type", "empty"],
)
def test_malformed_events_are_dropped_with_a_warning(
    event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert calls_for(event) == []
    assert len(caplog.records) == 1


def test_string_price_is_coerced_and_junk_dropped(caplog: pytest.LogCaptureFixture) -> None:
    event = spec_event(
        "Product Added",
        properties={"product_id": "p1", "price": "19.99", "quantity": "abc", "value": "abc"},
    )
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        calls = calls_for(event)
    assert calls[1][2] == {
        "contents": [{"price": 19.99, "content_id": "p1"}],
        "currency": "USD",
        "content_type": "product",
    }
    assert "contents[0].quantity is not a number" in caplog.text
    assert "value is not a number" in caplog.text


def test_bad_identity_values_are_dropped_without_pii(caplog: pytest.LogCaptureFixture) -> None:
    event = spec_event(
        "Product Added", properties={"email": {"x": "secret@example.com"}, "phone": "call me maybe"}
    )
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        calls = calls_for(event)
    # properties had an email of the wrong type: it is left out (no fallback to context)
    assert calls[0] == ["identify", {"external_id": IDENTIFY["external_id"]}]
    assert "email is not a string" in caplog.text
    assert "phone_number dropped" in caplog.text
    assert "secret@example.com" not in caplog.text and "call me" not in caplog.text


def test_raising_callables_are_contained(caplog: pytest.LogCaptureFixture) -> None:
    def boom(event: Any) -> Any:
        raise ValueError(f"bad {event['properties']['email']}")

    def picky(event: Any) -> bool:
        raise KeyError("secret")

    mappings = [
        EventMapping(
            "boom",
            Subscription(events=frozenset({"Lead Generated"})),
            "Lead",
            params=(("value", path("properties.total")), ("lead_score", boom)),
        ),  # type: ignore[arg-type]
        EventMapping("picky", Subscription(predicate=picky), "Contact"),
    ]
    event = {
        "type": "track",
        "event": "Lead Generated",
        "messageId": "m",
        "properties": {"email": "secret@example.com", "total": 5},
    }
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        calls = calls_for(event, mappings=mappings)
    assert calls == [
        ["identify", {"email": sha("secret@example.com")}],
        ["track", "Lead", {"value": 5, **FALLBACKS}, {"event_id": "m"}],
    ]
    assert "lead_score: the mapping function raised ValueError" in caplog.text
    assert "'picky': its predicate raised KeyError" in caplog.text
    assert "secret" not in caplog.text.replace("'picky'", "")


# --- custom mappings ----------------------------------------------------------------------


def test_custom_mapping_with_fallback_paths_and_missing_path() -> None:
    spec = {
        "mappings": [
            {
                "name": "quote_requested",
                "subscribe": "Quote Requested",
                "event": "Lead",
                "params": {
                    "value": ["properties.total", "properties.revenue"],
                    "description": "properties.no.such.path",
                    "lead_source": "context.campaign.source",
                },
            }
        ]
    }
    event = {
        "type": "track",
        "event": "Quote Requested",
        "messageId": "q-1",
        "userId": "u-1",
        "properties": {"revenue": 99},
        "context": {"campaign": {"source": "tiktok"}},
    }
    assert calls_for(event, mappings=spec) == [
        ["identify", {"external_id": sha("u-1")}],
        [
            "track",
            "Lead",
            {"value": 99, "lead_source": "tiktok", **FALLBACKS},
            {"event_id": "q-1"},
        ],
    ]


def test_patch_an_active_mapping_by_name() -> None:
    spec = {
        "mappings": [
            {
                "name": "order_completed",
                "params": {"value": ["properties.total", "properties.revenue"]},
                "identity": {"external_id": None},
            }
        ],
        "currency": None,
        "content_type": "product_group",
    }
    event = spec_event("Order Completed", context={})
    calls = calls_for(event, mappings=spec)
    assert [c[0] for c in calls] == ["track"]  # no email/phone/external_id left: no identify
    assert calls[0][2]["value"] == 27.5
    assert calls[0][2]["content_type"] == "product_group"
    assert calls[0][2]["currency"] == "USD"  # from the properties, not the (off) fallback


def test_python_predicate_and_callable_source() -> None:
    big = EventMapping(
        "big_order",
        Subscription(
            events=frozenset({"Order Completed"}),
            predicate=lambda e: e["properties"].get("revenue", 0) >= 20,
        ),
        "Purchase",
        params=(("value", lambda e: e["properties"]["revenue"] * 100),),  # type: ignore[arg-type]
    )
    config = {"set": "none", "mappings": [big]}
    calls = calls_for(spec_event("Order Completed"), mappings=config)
    assert calls[1][:3] == [
        "track",
        "Purchase",
        {"value": 2500.0, "currency": "USD", "order_id": "50314b8e9bcf000000000000", **FALLBACKS},
    ]
    small = spec_event("Order Completed", properties={"revenue": 5})
    assert calls_for(small, mappings=config) == []


def test_subscribe_by_type_and_event_together() -> None:
    spec = {
        "set": "none",
        "mappings": [
            {"name": "docs", "subscribe": {"type": "page", "event": []}, "event": "ViewContent"}
        ],
    }
    assert calls_for({"type": "page", "name": "Docs"}, mappings=spec)[0][1] == "ViewContent"
    assert calls_for({"type": "track", "event": "Docs"}, mappings=spec) == []


def test_travel_field_group() -> None:
    spec = {"mappings": [{"name": "checkout_started", "field_groups": ["travel"]}]}
    event = spec_event(
        "Checkout Started",
        properties={
            "value": 420,
            "currency": "EUR",
            "city": "Lisbon",
            "country": "PT",
            "checkin_date": "2025-07-01",
            "checkout_date": "2025-07-05",
            "num_adults": 2,
            "suggested_hotels": ["h-1", "h-2"],
            "travel_class": "eco",
        },
    )
    params = calls_for(event, mappings=spec)[1][2]
    assert params == {
        "value": 420,
        "currency": "EUR",
        "content_type": "product",
        "city": "Lisbon",
        "country": "PT",
        "checkin_date": "2025-07-01",
        "checkout_date": "2025-07-05",
        "num_adults": 2,
        "suggested_hotels": ["h-1", "h-2"],
        "travel_class": "eco",
    }


def test_vehicle_field_group() -> None:
    spec = {
        "mappings": [{"name": "product_viewed", "field_groups": "vehicle"}],
        "presets": ["product_viewed"],
    }
    event = spec_event(
        "Product Viewed",
        properties={
            "make": "Volvo",
            "model": "XC40",
            "year": 2023,
            "drive_train": "AWD",
            "mileage_value": 12000,
            "mileage_unit": "KM",
            "preferred_price_range_min": 20000,
            "preferred_price_range_max": 30000,
            "vin": "YV1XZ16A1N2345678",
        },
    )
    params = calls_for(event, mappings=spec)[1][2]
    assert params == {
        **FALLBACKS,
        "make": "Volvo",
        "model": "XC40",
        "year": 2023,
        "drivetrain": "AWD",
        "vin": "YV1XZ16A1N2345678",
        "mileage": {"unit": "KM", "value": 12000},
        "preferred_price_range": [20000, 30000],
    }
    half = spec_event(
        "Product Viewed", properties={"mileage_value": 5, "preferred_price_range_min": 1}
    )
    assert calls_for(half, mappings=spec)[1][2] == FALLBACKS


def test_page_events_mapping_returns_only_its_own_calls() -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.track("Search", query="mugs")
    queued = page.segment(spec_event("Product Added"))
    assert len(page.calls) == 3
    assert list(page.calls[1:]) == queued


def test_an_event_name_that_is_not_a_string_matches_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert calls_for({"type": "track", "event": ["Order Completed"], "properties": {}}) == []
    assert caplog.records == []
