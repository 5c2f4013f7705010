"""``pii_policy``: hash (to identify, or SHA-256 in place), drop, raise; one warning per call."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import CODE
from tiktok_pixel import (
    Call,
    PageEvents,
    PiiError,
    PixelConfig,
    hash_field,
    redact_for_display,
    sha256_hex,
    validate_calls,
)
from tiktok_pixel.contrib.options import FLASK, build_options
from tiktok_pixel.pii_policy import guard_params, pii_digest, pii_paths

EMAIL = "Ann.Secret@Example.com"


def page(**settings: Any) -> PageEvents:
    return PageEvents(PixelConfig(pixel_codes=CODE, **settings))


def test_hash_moves_identify_fields_to_identify_and_hashes_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = page(default_phone_region="GB")
    with caplog.at_level(logging.WARNING):
        events.track(
            "Lead",
            value=1,
            currency="EUR",
            Email=EMAIL,
            billingPhone="020 7946 0958",
            customer_first_name="Philippa",
            postcode="EC1A 1BB",
            contents=[{"content_id": "sku-1", "customer": {"email": "bob@example.com"}}],
            note="call +44 20 7946 0000",
            street_address="1 Secret Road",
        )
    identify, track = events.calls
    assert identify.method == "identify"
    assert identify.params == {
        "email": hash_field("email", EMAIL),
        "phone_number": hash_field("phone_number", "+442079460958"),
        "first_name": hash_field("first_name", "Philippa"),
        "zip_code": hash_field("zip_code", "EC1A 1BB"),
    }
    params = track.params
    assert params["contents"][0]["customer"]["email"] == sha256_hex("bob@example.com")
    assert params["note"] == sha256_hex("call +44 20 7946 0000")
    assert params["street_address"] == sha256_hex("1 Secret Road")
    assert {"Email", "billingPhone", "customer_first_name", "postcode"}.isdisjoint(params)
    assert params["value"] == 1 and params["currency"] == "EUR"
    [record] = [r for r in caplog.records if "personal data" in r.getMessage()]
    message = record.getMessage()
    assert message.startswith("TikTok event 'Lead': personal data in ")
    for path in ("Email", "billingPhone", "contents[0].customer.email", "note", "street_address"):
        assert path in message
    assert "Secret" not in message and "7946" not in message and "Philippa" not in message


def test_documented_names_are_unchanged_and_silent(caplog: pytest.LogCaptureFixture) -> None:
    events = page()
    with caplog.at_level(logging.WARNING):
        events.track("Lead", email=EMAIL, phone="+44 20 7946 0958", value=2, currency="EUR")
    identify, track = events.calls
    assert identify.params["email"] == hash_field("email", EMAIL)
    assert "email" not in track.params and "phone" not in track.params
    assert "personal data" not in caplog.text


def test_a_second_email_is_hashed_in_place_not_lost() -> None:
    events = page()
    events.track("Lead", email="first@example.com", user_email="second@example.com")
    identify, track = events.calls
    assert identify.params["email"] == hash_field("email", "first@example.com")
    assert track.params["user_email"] == sha256_hex("second@example.com")


def test_drop_removes_and_redacts_urls(caplog: pytest.LogCaptureFixture) -> None:
    events = page(pii_policy="drop")
    with caplog.at_level(logging.WARNING):
        events.track(
            "Lead",
            Email=EMAIL,
            tags=["ok", "ann@example.com", {"phone": "+1 202 555 0143"}],
            link="https://shop.example/reset?email=ann%40example.com&utm_source=news#top",
        )
    [track] = events.calls  # nothing goes to identify under "drop"
    assert track.params == {
        "tags": ["ok", {}],
        "link": "https://shop.example/reset?email=[redacted]&utm_source=news#top",
    }
    assert "pii_policy='drop'" in caplog.text and "link?email dropped" in caplog.text


def test_raise_raises_a_value_error_naming_the_path_only() -> None:
    events = page(pii_policy="raise")
    with pytest.raises(PiiError) as info:
        events.track("Lead", contents=[{"content_id": "a", "buyer": {"eMail": EMAIL}}])
    assert isinstance(info.value, ValueError)
    assert "contents[0].buyer.eMail" in str(info.value) and "'Lead'" in str(info.value)
    assert "Secret" not in str(info.value)
    assert events.calls == ()
    # bad data that is not personal still never raises
    assert events.track("Lead", value="lots") is not None


def test_keys_that_hold_data_are_never_named() -> None:
    params, _ = guard_params("Lead", {"x": {"ann@example.com": 1}})
    assert params == {"x": {sha256_hex("ann@example.com"): 1}}
    assert pii_paths({"x": {"ann@example.com": 1}}) == ["x.(key withheld)"]


def test_clean_params_come_back_as_the_same_object() -> None:
    params = {"contents": [{"content_id": "sku-1", "price": 2}], "value": 2, "currency": "EUR"}
    assert guard_params("Lead", params)[0] is params


def test_digests_normalise_lone_emails_and_phones() -> None:
    assert pii_digest(" Ann@Example.COM ") == sha256_hex("ann@example.com")
    assert pii_digest("+44 20 7946 0958") == sha256_hex("+442079460958")
    assert pii_digest(12345) == sha256_hex("12345")
    assert pii_digest({"b": 1, "a": "x"}) == sha256_hex('{"a":"x","b":1}')


def test_display_redaction() -> None:
    shown = redact_for_display({"email": "a@b.com", "ok": "fine", "n": [{"tel": 4420}]})
    assert shown == {"email": "[redacted]", "ok": "fine", "n": [{"tel": "[redacted]"}]}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"pii_policy": "hashed"}, "pii_policy must be one of 'hash', 'drop' or 'raise'"),
        ({"pii_policy": None}, "pii_policy must be one of"),
        ({"url_params_allowed": ["utm_*", "a b"]}, "url_params_allowed entries must be glob"),
        ({"url_params_allowed": 3}, "url_params_allowed must be a list of glob patterns"),
    ],
)
def test_settings_are_validated_at_start_up(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PixelConfig(pixel_codes=CODE, **settings)


def test_settings_through_the_shared_options() -> None:
    given = {"PII_POLICY": "drop", "URL_PARAMS_ALLOWED": "ref"}
    config = build_options(
        {"TIKTOK_PIXEL_CODE": CODE, **{f"TIKTOK_PIXEL_{k}": v for k, v in given.items()}}, FLASK
    ).config
    assert config.pii_policy == "drop" and config.url_params_allowed == ("ref",)
    assert config.privacy.policy == "drop"
    with pytest.raises(ValueError, match=r"^TIKTOK_PIXEL_PII_POLICY must be"):
        build_options({"TIKTOK_PIXEL_CODE": CODE, "TIKTOK_PIXEL_PII_POLICY": "off"}, FLASK)


def test_allow_list_is_configurable() -> None:
    events = page(pii_policy="drop", url_params_allowed=["ref"])
    events.track("Lead", link="/p?ref=ann@example.com&utm_source=ann@example.com")
    assert events.calls[0].params["link"] == "/p?ref=ann@example.com&utm_source=[redacted]"


def test_cyclic_and_deep_structures_terminate() -> None:
    cyclic: dict[str, Any] = {"a": "x"}
    cyclic["self"] = cyclic
    assert redact_for_display(cyclic)["a"] == "x"
    deep: Any = "ann@example.com"
    for _ in range(200):
        deep = {"d": deep}
    assert "ann@example.com" not in repr(redact_for_display({"deep": deep}))
    assert pii_paths({"deep": deep})


def test_validator_messages_withhold_keys_and_code_like_values_holding_data() -> None:
    findings = validate_calls(
        [
            Call("identify", None, {"ann@example.com": "x"}),
            Call("track", "Lead", {"value": 1, "currency": "020 7946 0958"}, "e1"),
        ]
    )
    text = " ".join(f.message for f in findings)
    assert "(key withheld)" in text and "withheld" in text
    assert "ann@example.com" not in text and "7946" not in text
