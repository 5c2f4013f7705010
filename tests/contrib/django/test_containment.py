"""Containment in Django: a fault in tracking code never fails the request.

Each fault (a mapping callable that raises, a phone library error, a non-serialisable custom
property, a broken session value) gives a 200 page with the rest of the pixel intact and exactly
one logged warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client
from django.urls import path

from tests.conftest import CODE
from tiktok_pixel import hashing
from tiktok_pixel.contrib.django.carry import SESSION_KEY
from tiktok_pixel.testing import calls_in


def exploding_source(event: object) -> object:
    raise RuntimeError("a bug in the shop's own mapping code")


def exploding_parse(*args: object, **kwargs: object) -> object:
    raise RuntimeError("phonenumbers metadata is broken for +44 7700 900123")


def fault(request: HttpRequest, kind: str) -> HttpResponse:
    pixel = request.tiktok_pixel  # type: ignore[attr-defined]
    if kind == "mapping":
        pixel.segment(
            {
                "type": "track",
                "event": "Product Added",
                "messageId": "m-1",
                "properties": {"product_id": "sku-1", "price": 5},
            }
        )
    elif kind == "phone":
        pixel.identify(email="ann@example.com", phone_number="+44 7700 900123")
    elif kind == "unserialisable":
        pixel.track("Lead", value=3, currency="EUR", extra=object())
    pixel.track("ViewContent", event_id="intact")
    return render(request, "page.html", {"title": "fault"})


urlpatterns = [path("fault/<str:kind>/", fault)]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def faulty_settings(settings) -> None:
    settings.TIKTOK_PIXEL = {
        "PIXEL_CODE": CODE,
        "MAPPINGS": {
            "mappings": [{"name": "product_added", "params": {"value": exploding_source}}]
        },
    }


@pytest.fixture(autouse=True)
def broken_phonenumbers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()
    monkeypatch.setattr(phonenumbers, "parse", exploding_parse)
    yield
    hashing._parse_phone.cache_clear()
    hashing._hash_cached.cache_clear()


def poison_session(client: Client) -> None:
    session = client.session
    session[SESSION_KEY] = [{"method": 1}, "junk", {"method": "track", "params": "x"}]
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key


@pytest.mark.parametrize(
    ("kind", "expected_warning"),
    [
        ("mapping", "RuntimeError"),
        ("phone", "phone_number dropped: unexpected RuntimeError"),
        ("unserialisable", "extra is not JSON-serialisable"),
        ("session", "session"),
    ],
)
def test_a_fault_gives_a_200_page_with_the_rest_of_the_pixel_and_one_warning(
    client: Client, caplog: pytest.LogCaptureFixture, kind: str, expected_warning: str
) -> None:
    if kind == "session":
        poison_session(client)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/fault/{kind}/")
    assert response.status_code == 200
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("tiktok_pixel") and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1, warnings
    assert expected_warning in warnings[0]
    calls = calls_in(response.content.decode())
    tracked = {(c.event, c.event_id) for c in calls if c.method == "track"}
    assert ("ViewContent", "intact") in tracked
    assert [c.method for c in calls][:2] == ["load", "page"]
    if kind == "mapping":
        assert ("AddToCart", "m-1") in tracked
    if kind == "phone":
        assert [c.params for c in calls if c.method == "identify"] == [
            {"email": hashing.hash_field("email", "ann@example.com")}
        ]
    for text in warnings:
        assert "7700" not in text and "ann@" not in text and "shop's own" not in text


def test_configuration_errors_fail_loudly(client: Client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": "not a code"}
    with pytest.raises(ImproperlyConfigured, match="invalid TikTok pixel code"):
        client.get("/fault/none/")
