"""The detector's rules: emails, phone numbers, key names; linear time on adversarial input."""

from __future__ import annotations

import pytest

from tiktok_pixel.pii_detect import (
    IDENTIFY_FIELD,
    has_email,
    has_phone,
    is_hashed,
    key_kind,
    text_kind,
    value_is_pii,
)

DIGEST = "a" * 64


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("email", "email"),
        ("Email", "email"),
        ("EMAIL", "email"),
        ("e-mail", "email"),
        ("E_Mail", "email"),
        ("EMail", "email"),
        ("user_email", "email"),
        ("userEmail", "email"),
        ("email_address", "email"),
        ("billingPhone", "phone"),
        ("phone_number", "phone"),
        ("mobile", "phone"),
        ("tel", "phone"),
        ("telephone", "phone"),
        ("first_name", "first_name"),
        ("firstName", "first_name"),
        ("surname", "last_name"),
        ("last-name", "last_name"),
        ("full_name", "name"),
        ("address", "address"),
        ("shipping_address", "address"),
        ("address_line1", "address"),
        ("zip", "zip"),
        ("ZIP", "zip"),
        ("zipCode", "zip"),
        ("postcode", "zip"),
        ("post_code", "zip"),
        ("ssn", "national_id"),
        ("ip", "ip"),
        ("userIP", "ip"),
        ("IPAddress", "ip"),
        ("client_ip", "ip"),
        ("date_of_birth", "birth_date"),
    ],
)
def test_keys_that_name_personal_data(key: str, kind: str) -> None:
    assert key_kind(key) == kind


@pytest.mark.parametrize(
    "key",
    [
        "shipping",
        "tip",
        "unzip_count",
        "zipper",
        "hotel",
        "hotel_name",
        "content_name",
        "product_name",
        "name",
        "email_verified",
        "email_count",
        "phone_type",
        "has_email",
        "is_mobile",
        "mobile_app",
        "description",
        "order_id",
        "content_id",
        "skip",
        "membership",
        "city",
        "country",
        "",
        "_",
    ],
)
def test_keys_that_do_not(key: str) -> None:
    assert key_kind(key) is None


def test_non_string_keys_and_keys_holding_data() -> None:
    assert key_kind(3) is None
    assert key_kind(("a",)) is None
    assert key_kind("ann@example.com") == "key"
    assert key_kind("+44 20 7946 0958") == "key"


def test_identify_routing_covers_the_hashed_identify_fields() -> None:
    assert set(IDENTIFY_FIELD.values()) == {
        "email",
        "phone_number",
        "first_name",
        "last_name",
        "zip_code",
    }


@pytest.mark.parametrize(
    "text",
    [
        "ann@example.com",
        "Ann+news@Example.COM",
        '"john doe"@example.org',
        "josé@bücher.de",
        "user@例え.jp",
        "x@xn--bcher-kva.example",
        "write to ann@example.com.",
        "ann%40example.com",
        "<ann@example.co.uk>",
    ],
)
def test_emails(text: str) -> None:
    assert text_kind(text) == "email"


@pytest.mark.parametrize(
    "text", ["@brand", "Price @ 5", "a@b", "user@localhost", "ann at example dot com", "50% off"]
)
def test_not_emails(text: str) -> None:
    assert text_kind(text) is None
    assert not has_email(text)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("+44 20 7946 0958", None),
        ("+44 7700 900461", None),  # a fictional (drama) range: possible, written with +
        ("+1 (202) 555-0143", None),
        ("+33 1 23 45 67 89", None),
        ("(202) 555-0143", None),
        ("202.555.0143", "US"),
        ("020 7946 0958", "GB"),
        ("020 7946 0958", None),  # fallback regions include GB
        ("0044 20 7946 0958", "GB"),
        ("tel:+44-20-7946-0958", None),
        ("call 020 7946 0958 after 5", "GB"),
        ("%2B44%2020%207946%200958", None),
    ],
)
def test_phone_numbers(text: str, region: str | None) -> None:
    assert text_kind(text, region) == "phone"


@pytest.mark.parametrize(
    "text",
    [
        "iPhone 15",
        "+1 size",
        "2025550143",  # bare digits: indistinguishable from an order id
        "ORD-2024-0012345",
        "2024-01-15",
        "2024-01-15 10:30:00",
        "15/01/2024",
        "10.0.19045.2965",
        "4111 1111 1111 1111",
        "978-3-16-148410-0",
        "1 234 567",
        "0123456789abc",
    ],
)
def test_not_phone_numbers(text: str) -> None:
    for region in (None, "GB", "US"):
        assert not has_phone(text, region)


def test_hashed_values_are_not_pii() -> None:
    assert is_hashed(DIGEST) and is_hashed(DIGEST.upper())
    assert not value_is_pii(DIGEST)
    assert not value_is_pii(3)
    assert value_is_pii("ann@example.com")


ADVERSARIAL = [
    "a" * 200_000 + "@",
    "a@" + "a." * 100_000,
    "@" * 200_000,
    "a@" * 100_000,
    "a@" + "a" * 200_000 + "!",
    "x@a" + "-" * 200_000,
    "1 " * 100_000 + "x",
    "1" * 200_000,
    "0" * 200_000 + "x",
    "+(" * 100_000,
    "1-" * 100_000,
    "%" * 200_000,
    "%40" * 70_000,
    "0 1 2 3 4 5 6 " * 15_000,
    ("ann@example.com " * 10_000),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("index", range(len(ADVERSARIAL)))
def test_adversarial_strings_finish(index: int) -> None:
    """Each pattern is linear: 200,000 characters take milliseconds, not the hours a
    backtracking pattern would (the timeout is a safety net, not a speed goal)."""
    text = ADVERSARIAL[index]
    text_kind(text)
    text_kind(text, "GB")
    key_kind(text)
    has_email(text)


def test_plain_screen_never_passes_a_suspect_string() -> None:
    # PLAIN lets the guard skip the SUSPECT search; it must never clear a string SUSPECT flags.
    import itertools

    from tiktok_pixel.pii_detect import PLAIN, SUSPECT

    alphabet = "a1-/._ @+(%?#٣"
    passed = 0
    for size in range(1, 9):
        for chars in itertools.product(alphabet, repeat=min(size, 3)):
            text = "".join(chars) + "1234567"[: size - min(size, 3)]
            for candidate in (text, text + "0123456", "x" + text, "1" + text):
                if PLAIN(candidate) is not None:
                    passed += 1
                    assert SUSPECT(candidate) is None, candidate
    assert passed > 1000
    assert PLAIN("ORD-2025-0012345") and SUSPECT("ORD-2025-0012345") is None
    assert PLAIN("0612345678") is None and PLAIN("a 0612345678") is None
