"""URL redaction: query, fragment, path and user info; the allow-list; percent-encoding."""

from __future__ import annotations

import logging

import pytest

from tiktok_pixel import sha256_hex
from tiktok_pixel.events_api import RequestInfo, api_event
from tiktok_pixel.pii_policy import PrivacySettings, redact_page
from tiktok_pixel.url_redact import (
    DEFAULT_URL_PARAMS_ALLOWED,
    REDACTED,
    compile_allowed,
    looks_like_url,
    redact_url,
)

ALLOWED = compile_allowed(DEFAULT_URL_PARAMS_ALLOWED)


def drop(value: str) -> str:
    return REDACTED


@pytest.mark.parametrize(
    ("url", "expected", "places"),
    [
        (
            "https://shop.example/account?email=ann@example.com&utm_source=news&x=1",
            "https://shop.example/account?email=[redacted]&utm_source=news&x=1",
            ["?email"],
        ),
        (
            "https://shop.example/account?e=ann%40example.com#top",
            "https://shop.example/account?e=[redacted]#top",
            ["?e"],
        ),
        (
            "/reset?user_email=bob&ttclid=E.C.P.x#email=ann@example.com",
            "/reset?user_email=[redacted]&ttclid=E.C.P.x#email=[redacted]",
            ["?user_email", "#email"],
        ),
        (
            "https://ann:pw@shop.example/u/ann%40example.com/orders?ref=1",
            "https://shop.example/u/[redacted]/orders?ref=1",
            ["@userinfo", "/path"],
        ),
        (
            "https://shop.example/?q=call+%2B44+20+7946+0958",
            "https://shop.example/?q=[redacted]",
            ["?q"],
        ),
        (
            "https://shop.example/p#ann@example.com",
            "https://shop.example/p#[redacted]",
            ["#fragment"],
        ),
        (
            "https://shop.example/?UTM_Medium=ann@example.com&gclid=1&fbclid=2",
            "https://shop.example/?UTM_Medium=ann@example.com&gclid=1&fbclid=2",
            [],
        ),
        (
            "https://shop.example/p/sku-1?page=2#reviews",
            "https://shop.example/p/sku-1?page=2#reviews",
            [],
        ),
        ("https://shop.example/?email=[redacted]", "https://shop.example/?email=[redacted]", []),
        ("https://shop.example/?email=", "https://shop.example/?email=", []),
    ],
)
def test_redaction(url: str, expected: str, places: list[str]) -> None:
    assert redact_url(url, drop, ALLOWED) == (expected, places)


def test_hash_replacement_sees_the_decoded_value() -> None:
    url, _ = redact_url("/a?email=Ann%40Example.com", lambda v: sha256_hex(v.lower()), ALLOWED)
    assert url == "/a?email=" + sha256_hex("ann@example.com")


def test_allow_list_patterns() -> None:
    allowed = compile_allowed(["utm_*", "ref?"])
    assert allowed("utm_campaign") and allowed("ref1")
    assert not allowed("ref") and not allowed("xutm_a")
    assert compile_allowed([])("utm_source") is None
    with pytest.raises(ValueError, match="url_params_allowed"):
        compile_allowed(["utm_*", ""])


def test_looks_like_url() -> None:
    assert looks_like_url("https://x.example/") and looks_like_url("/p?q=1")
    assert looks_like_url("HTTPS://X.EXAMPLE/") and looks_like_url("//cdn.example/a")
    assert not looks_like_url("mailto:ann@example.com") and not looks_like_url("hello?")


def test_events_api_page_url_and_referrer(caplog: pytest.LogCaptureFixture) -> None:
    request = RequestInfo(
        url="https://shop.example/account?email=ann%40example.com&utm_source=nl",
        referrer="https://mail.example/read#to=bob@example.com",
    )
    with caplog.at_level(logging.WARNING):
        event = api_event("Lead", "e1", request=request)
    assert event["page"] == {
        "url": "https://shop.example/account?email="
        + sha256_hex("ann@example.com")
        + "&utm_source=nl",
        "referrer": "https://mail.example/read#to=" + sha256_hex("bob@example.com"),
    }
    assert "'Lead'" in caplog.text and "page.url?email" in caplog.text
    assert "page.referrer#to" in caplog.text and "example.com" not in caplog.text


@pytest.mark.parametrize("policy", ["drop", "raise"])
def test_events_api_page_fields_under_drop_and_raise(policy: str) -> None:
    settings = PrivacySettings(policy=policy)  # type: ignore[arg-type]
    page = redact_page({"url": "https://shop.example/?tel=%2B442079460958"}, settings, "Lead")
    assert page == {"url": "https://shop.example/?tel=[redacted]"}
