"""The mapping configuration: defaults, sets, presets, custom mappings and start-up errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CODE
from tiktok_pixel import PixelConfig
from tiktok_pixel.contrib.options import FLASK, build_options
from tiktok_pixel.mapping_spec import build_mappings
from tiktok_pixel.mappings import (
    DEFAULT_MAPPING_CONFIG,
    DEFAULT_MAPPINGS,
    PRESETS,
    SETS,
    EventMapping,
    MappingConfig,
    on_event,
    path,
)


def test_the_seven_defaults() -> None:
    assert [(m.name, m.subscribe.describe(), m.event) for m in DEFAULT_MAPPINGS] == [
        ("page", "type=page", "ViewContent"),
        ("products_searched", "event='Products Searched'", "Search"),
        ("product_added_to_wishlist", "event='Product Added to Wishlist'", "AddToWishlist"),
        ("product_added", "event='Product Added'", "AddToCart"),
        ("checkout_started", "event='Checkout Started'", "InitiateCheckout"),
        ("payment_info_entered", "event='Payment Info Entered'", "AddPaymentInfo"),
        ("order_completed", "event='Order Completed'", "PlaceAnOrder"),
    ]
    config = PixelConfig(pixel_codes=CODE)
    assert config.mappings == DEFAULT_MAPPING_CONFIG
    assert config.mappings.names() == (*(m.name for m in DEFAULT_MAPPINGS), "identify")
    assert (config.mappings.currency, config.mappings.content_type) == ("USD", "product")


def test_preset_catalogue_is_segments_current_one() -> None:
    assert {name: (m.subscribe.describe(), m.event) for name, m in PRESETS.items()} == {
        "page": ("type=page", "Pageview"),
        "order_completed": ("event='Order Completed'", "CompletePayment"),
        "order_placed": ("event='Order Placed'", "PlaceAnOrder"),
        "product_viewed": ("event='Product Viewed'", "ViewContent"),
        "product_clicked": ("event='Product Clicked'", "ClickButton"),
        "callback_started": ("event='Callback Started'", "Contact"),
        "subscription_created": ("event='Subscription Created'", "Subscribe"),
        "form_submitted": ("event='Form Submitted'", "SubmitForm"),
        "download_link_clicked": ("event='Download Link Clicked'", "Download"),
        "signed_up": ("event='Signed Up'", "CompleteRegistration"),
        "products_searched": ("event='Products Searched'", "Search"),
        "product_added_to_wishlist": ("event='Product Added to Wishlist'", "AddToWishlist"),
        "product_added": ("event='Product Added'", "AddToCart"),
        "checkout_started": ("event='Checkout Started'", "InitiateCheckout"),
        "payment_info_entered": ("event='Payment Info Entered'", "AddPaymentInfo"),
    }


def test_tiktok_2025_set_uses_only_current_names() -> None:
    from tiktok_pixel.standard_events import STANDARD_EVENTS

    events = {m.event for m in SETS["tiktok_2025"] if m.event}
    assert events <= STANDARD_EVENTS
    assert {"Purchase", "Lead"} <= events


def test_presets_and_disable_by_name() -> None:
    config = build_mappings(
        {"presets": ["signed_up", "order_completed"], "disable": ["page", "identify"]}
    )
    assert config.names() == (
        "products_searched",
        "product_added_to_wishlist",
        "product_added",
        "checkout_started",
        "payment_info_entered",
        "order_completed",
        "signed_up",
    )
    assert config.get("order_completed").event == "CompletePayment"  # type: ignore[union-attr]


def test_a_list_adds_to_the_defaults() -> None:
    custom = {"name": "lead", "subscribe": ["Lead Generated", "Demo Requested"], "event": "Lead"}
    config = build_mappings([custom])
    assert config.names()[-1] == "lead"
    assert len(config.mappings) == len(SETS["default"]) + 1


def test_same_spec_gives_equal_hashable_configs() -> None:
    spec = {
        "set": "tiktok_2025",
        "mappings": [
            {
                "name": "x",
                "subscribe": {"type": "track", "event": "X"},
                "event": "Lead",
                "params": {"tags": {"value": ["a", "b"]}},
            }
        ],
    }
    one = PixelConfig(pixel_codes=CODE, mappings=json.loads(json.dumps(spec)))
    two = PixelConfig(pixel_codes=CODE, mappings=spec)
    assert one == two and hash(one) == hash(two)
    assert one != PixelConfig(pixel_codes=CODE)
    assert PixelConfig(pixel_codes=CODE, mappings=one.mappings).mappings is one.mappings


def test_python_objects_are_accepted() -> None:
    mapping = EventMapping(
        "trial",
        on_event("Trial Started"),
        "StartTrial",
        params=(("value", path("properties.mrr")),),
    )
    config = PixelConfig(pixel_codes=CODE, mappings=MappingConfig(mappings=(mapping,)))
    assert config.mappings.names() == ("trial",)
    config = PixelConfig(pixel_codes=CODE, mappings=[mapping])
    assert config.mappings.get("trial") == mapping


def test_flask_and_django_options_pass_the_spec_through() -> None:
    spec = {"set": "segment", "currency": "eur"}
    config = build_options({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_MAPPINGS": spec}, FLASK).config
    assert config.mappings.currency == "EUR"
    assert config.mappings.get("order_completed").event == "CompletePayment"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"^TIKTOK_PIXEL_MAPPINGS: set: 'nope' is not a set"):
        build_options({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_MAPPINGS": {"set": "nope"}}, FLASK)


BAD: list[tuple[Any, str]] = [
    ("order_completed", r"mappings must be an object"),
    (
        {"sets": ["segment"]},
        r"unknown key\(s\) sets; did you mean 'set'\? known keys are set, presets",
    ),
    (
        {"set": "tiktok"},
        r"set: 'tiktok' is not a set; did you mean 'tiktok_2025'\? the sets are default, segment",
    ),
    (
        {"presets": ["complete_payment"]},
        r"presets: 'complete_payment' is not a preset; .*the presets are page, ",
    ),
    ({"disable": ["order_placed"]}, r"disable: 'order_placed' is not an active mapping"),
    ({"currency": "usdollar"}, r"currency: 'usdollar' is not an ISO 4217 code"),
    ({"content_type": "sku"}, r"content_type: must be 'product', 'product_group' or null"),
    ({"mappings": {"name": "x"}}, r"mappings: expected a list of mappings"),
    ({"mappings": ["x"]}, r"mappings\[0\]: expected an object, not str"),
    ({"mappings": [{"name": "Quote Requested"}]}, r"mappings\[0\]: 'name' must be a snake_case"),
    (
        [{"name": "quote", "event": "Lead"}],
        r"mapping 'quote': a new mapping needs 'subscribe' and 'event'",
    ),
    (
        [{"name": "quote", "subscribe": "Quote", "event": "Lead", "param": {}}],
        r"mapping 'quote': unknown field\(s\) param; did you mean 'params'\? known: name, ",
    ),
    (
        [{"name": "quote", "subscribe": "Quote", "event": "purchase"}],
        r"mapping 'quote': field event: 'purchase' is not a TikTok standard event; "
        r"did you mean 'Purchase'\?",
    ),
    (
        [{"name": "quote", "subscribe": "Quote", "event": ""}],
        r"mapping 'quote': field event: '' is not a TikTok event name",
    ),
    (
        [{"name": "quote", "subscribe": {"type": "purchase"}, "event": "Lead"}],
        r"mapping 'quote': field subscribe.type: \['purchase'\] is not a Segment type",
    ),
    (
        [{"name": "quote", "subscribe": {}, "event": "Lead"}],
        r"mapping 'quote': field subscribe: subscribes to nothing",
    ),
    (
        [{"name": "quote", "subscribe": 7, "event": "Lead"}],
        r"mapping 'quote': field subscribe: expected an event name",
    ),
    (
        [{"name": "order_completed", "params": {"value": "properties..total"}}],
        r"mapping 'order_completed': field params.value: 'properties..total' is not a dotted",
    ),
    (
        [{"name": "order_completed", "params": {"value": 12}}],
        r"mapping 'order_completed': field params.value: expected a dotted path",
    ),
    (
        [{"name": "order_completed", "params": {"value": {"val": 1}}}],
        r"mapping 'order_completed': field params.value: a constant is written",
    ),
    (
        [{"name": "order_completed", "params": {"emial": "properties.email"}}],
        r"mapping 'order_completed': field params.emial: 'emial' looks like the identify "
        r"field 'email'",
    ),
    (
        [{"name": "order_completed", "params": {"event_id": "messageId"}}],
        r"field params.event_id: 'event_id' is not a param name",
    ),
    (
        [{"name": "order_completed", "identity": {"phone": "properties.phone"}}],
        r"mapping 'order_completed': field identity.phone: not an identify field",
    ),
    (
        [{"name": "order_completed", "field_groups": ["hotel"]}],
        r"mapping 'order_completed': field field_groups: \['hotel'\]: the groups are travel",
    ),
    (
        [{"name": "order_completed", "contents": "properties..items"}],
        r"mapping 'order_completed': field contents: expected 'single', 'products'",
    ),
    (
        {"presets": ["page"]},
        r"mapping 'page': field event: 'Pageview' for every page event and auto_page_view",
    ),
]


@pytest.mark.parametrize(("spec", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_bad_configuration_fails_at_start_up(spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PixelConfig(pixel_codes=CODE, mappings=spec)


def test_pageview_preset_is_fine_without_auto_page_view() -> None:
    config = PixelConfig(pixel_codes=CODE, auto_page_view=False, mappings={"presets": ["page"]})
    assert config.mappings.get("page").event == "Pageview"  # type: ignore[union-attr]


def test_the_docs_example_is_a_valid_configuration() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "docs" / "segment.md").read_text(encoding="utf-8")
    spec = json.loads(re.search(r"```json\n(.*?)```", readme, re.S).group(1))  # type: ignore[union-attr]
    config = PixelConfig(pixel_codes=CODE, mappings=spec).mappings
    assert config.get("order_completed").event == "Purchase"  # type: ignore[union-attr]
    assert config.get("download_link_clicked") is None
    assert config.names()[-2:] == ("order_placed", "quote_requested")
