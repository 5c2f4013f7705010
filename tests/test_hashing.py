from __future__ import annotations

import hashlib

import pytest

from tiktok_pixel.hashing import (
    InvalidIdentity,
    hash_field,
    hash_identity,
    is_sha256_hex,
    normalise_email,
    normalise_external_id,
    normalise_location,
    normalise_name,
    normalise_phone,
    normalise_zip,
    sha256_hex,
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_sha256_hex_is_lowercase_hex_of_utf8() -> None:
    assert sha256_hex("test@example.com") == (
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    )
    assert sha256_hex("é") == sha("é")


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("John.Doe@Example.com", "john.doe@example.com"),
        ("  SOMEONE@example.CO.UK \n", "someone@example.co.uk"),
        ("a+tag@sub.example.org", "a+tag@sub.example.org"),
    ],
)
def test_email_is_trimmed_and_lowercased(raw: str, normalised: str) -> None:
    assert normalise_email(raw) == normalised
    assert hash_field("email", raw) == sha(normalised)


@pytest.mark.parametrize(
    "raw", ["", "plainaddress", "a@b", "@example.com", "a@@b.com", "a b@c.com"]
)
def test_invalid_email_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidIdentity) as info:
        normalise_email(raw)
    assert raw not in str(info.value) or raw == ""


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+44 7700 900123", None, "+447700900123"),
        ("07700 900123", "GB", "+447700900123"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("+1 (415) 555-2671", "DE", "+14155552671"),
        ("+49 30 901820", None, "+4930901820"),
        ("0033 1 42 68 53 00", "DE", "+33142685300"),
    ],
)
def test_phone_becomes_e164(raw: str, region: str | None, e164: str) -> None:
    assert normalise_phone(raw, region) == e164
    assert hash_field("phone_number", raw, default_phone_region=region) == sha(e164)


@pytest.mark.parametrize(
    ("raw", "region"), [("07700 900123", None), ("not a phone", "GB"), ("+1 23", None), ("", "US")]
)
def test_unreadable_phone_is_rejected(raw: str, region: str | None) -> None:
    with pytest.raises(InvalidIdentity):
        normalise_phone(raw, region)


def test_external_id_is_trimmed_and_keeps_case() -> None:
    assert normalise_external_id("  User-42 ") == "User-42"
    assert hash_field("external_id", 42) == sha("42")


def test_names_zip_and_locations() -> None:
    assert normalise_name(" Mary  Ann ") == "maryann"
    assert normalise_zip(" SW1A 1AA ") == "sw1a1aa"
    assert normalise_location("São Paulo!") == "sãopaulo"
    assert normalise_location("New York, NY") == "newyorkny"
    assert hash_field("first_name", "Mary Ann") == sha("maryann")
    assert hash_field("zip_code", "SW1A 1AA") == sha("sw1a1aa")
    # city, state and country are sent normalised but not hashed (see HASHED_FIELDS)
    assert hash_field("city", "Los Angeles") == "losangeles"
    assert hash_field("country", "US") == "us"


def test_digest_is_passed_through_never_hashed_twice() -> None:
    digest = sha("john@example.com")
    assert is_sha256_hex(digest)
    assert hash_field("email", digest.upper()) == digest
    assert hash_field("phone_number", f" {digest} ") == digest


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("email", " A@B.co "),
        ("phone_number", "+44 7700 900123"),
        ("external_id", "u-1"),
        ("first_name", "Ann"),
        ("last_name", "Lee"),
        ("zip_code", "10001"),
    ],
)
def test_hashing_is_idempotent(field: str, raw: str) -> None:
    once = hash_field(field, raw)
    assert hash_field(field, once) == once


@pytest.mark.parametrize("value", [True, 1.5, ["a@b.com"], {"a": 1}, object()])
def test_non_text_values_are_rejected(value: object) -> None:
    with pytest.raises(InvalidIdentity):
        hash_field("email", value)


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        hash_field("ssn", "x")


def test_hash_identity_skips_empty_and_reports_dropped_fields_without_values() -> None:
    empty_hash = sha("")
    result = hash_identity(
        {
            "email": "Bad Email",
            "phone_number": "+44 7700 900123",
            "external_id": "   ",
            "first_name": "",
            "city": None,
        }
    )
    assert result.fields == {"phone_number": sha("+447700900123")}
    assert empty_hash not in result.fields.values()
    assert [field for field, _ in result.dropped] == ["email", "external_id"]
    for _, reason in result.dropped:
        assert "Bad" not in reason and "Email" not in reason


def test_hash_identity_uses_the_default_region_and_keeps_field_order() -> None:
    result = hash_identity(
        {"zip_code": "1011 AB", "phone_number": "020 123 4567", "email": "x@y.nl"},
        default_phone_region="NL",
    )
    assert list(result.fields) == ["email", "phone_number", "zip_code"]
    assert result.fields["phone_number"] == sha("+31201234567")
