"""A Django site that tracks in its views: the calls reach the page, the right page, once."""

from __future__ import annotations

import json
import uuid

import pytest
from django.conf import settings as django_settings

from tests.carry_forge import COOKIE_NAME, forge, read
from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls, page_payload, script_tags
from tiktok_pixel import hash_field


def put_carried(client, value) -> None:
    """Send ``value`` (carried entries) in a carry cookie signed with the site's key."""
    client.cookies[COOKIE_NAME] = forge(django_settings.SECRET_KEY, value)


def carried(client) -> list:
    """The entries in the carry cookie the test client holds ([] when it was deleted)."""
    value = client.cookies[COOKIE_NAME].value if COOKIE_NAME in client.cookies else ""
    return read(value) if value else []


def test_view_tracks_and_the_tag_renders_its_calls(client) -> None:
    response = client.get("/product/SKU-1/")
    assert response.status_code == 200
    payload = page_payload(response)
    assert payload["pixels"] == [CODE]
    [call] = payload["calls"]
    assert call[:3] == [
        "track",
        "ViewContent",
        {"content_type": "product", "content_ids": "SKU-1", "value": 19.99, "currency": "EUR"},
    ]
    uuid.UUID(call[3]["event_id"])
    html = html_of(response)
    assert html.index("</title>") < html.index("<script") < html.index("</head>")


def test_the_context_processor_renders_the_same_fragment(client) -> None:
    response = client.get("/product/SKU-2/?template=context.html")
    [call] = page_calls(response)
    assert call[:2] == ["track", "ViewContent"] and call[2]["content_ids"] == "SKU-2"


def test_each_request_has_its_own_collector(client) -> None:
    first = page_calls(client.get("/product/A/"))
    second = page_calls(client.get("/product/B/"))
    assert [c[2]["content_ids"] for c in first] == ["A"]
    assert [c[2]["content_ids"] for c in second] == ["B"]


def test_only_hashes_are_kept_in_the_carry_cookie(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-9", "user": "u-77"})
    stored = json.dumps(carried(client))
    assert "AddToCart" in stored
    assert "jane@example.com" not in stored and "u-77" not in stored
    assert hash_field("email", "jane@example.com") in stored


def test_the_event_id_survives_the_redirect(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    stored = carried(client)
    [track] = [c for c in stored if c["method"] == "track"]
    [rendered] = [c for c in page_calls(client.get("/thanks/")) if c[0] == "track"]
    assert rendered[3] == {"event_id": track["event_id"]}


def test_the_carry_cookie_follows_session_cookie_secure_and_the_script_prefix(
    client, settings
) -> None:
    settings.SESSION_COOKIE_SECURE = True
    settings.FORCE_SCRIPT_NAME = "/shop/"
    response = client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    cookie = response.cookies[COOKIE_NAME].output(header="").strip()
    assert cookie.endswith("; Path=/shop; HttpOnly; SameSite=Lax; Secure")
    assert "Cookie" in client.get("/thanks/")["Vary"]


def test_a_carry_signed_with_a_fallback_secret_is_still_shown(client, settings) -> None:
    entries = [{"method": "track", "event": "AddToCart", "params": {}, "event_id": "old-1"}]
    old = forge("an older secret", entries)
    settings.SECRET_KEY_FALLBACKS = ["an older secret"]
    client.cookies[COOKIE_NAME] = old
    assert [c[3] for c in page_calls(client.get("/thanks/")) if c[0] == "track"] == [
        {"event_id": "old-1"}
    ]
    settings.SECRET_KEY_FALLBACKS = []
    client.cookies[COOKIE_NAME] = old
    assert page_calls(client.get("/thanks/")) == []


def test_carried_calls_wait_for_a_page_that_renders_the_pixel(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    plain = client.get("/plain/")  # HTML, but without the tag (and no auto-injection)
    assert script_tags(html_of(plain)) == []
    assert [c[0] for c in page_calls(client.get("/thanks/"))] == ["identify", "track"]


def test_disabled_renders_nothing_and_keeps_nothing(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "ENABLED": False}
    assert script_tags(html_of(client.get("/product/SKU-1/"))) == []
    response = client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    assert response.status_code == 302
    assert not response.cookies  # no carry cookie, no session
    assert script_tags(html_of(client.get("/thanks/"))) == []


def test_disabled_needs_no_pixel_code(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"ENABLED": False}
    response = client.get("/product/SKU-1/?template=context.html")
    assert response.status_code == 200 and script_tags(html_of(response)) == []


def test_existing_pixel_mode_hands_calls_to_the_sites_pixel(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"USE_EXISTING": True}
    payload = page_payload(client.get("/product/SKU-1/"))
    assert payload["existing"] is True and payload["pixels"] == []
    assert script_tags(html_of(client.get("/thanks/"))) == []  # no calls: nothing to hand over


def test_a_failing_view_fails_as_it_would_without_the_pixel(client) -> None:
    with pytest.raises(RuntimeError, match="the view failed"):
        client.get("/broken/")
