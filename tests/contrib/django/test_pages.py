"""A Django site that tracks in its views: the calls reach the page, the right page, once."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.conf import settings as django_settings

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls, page_payload, script_tags
from tests.payload import payloads
from tiktok_pixel import hash_field
from tiktok_pixel.carry import MAX_CARRIED, SESSION_KEY


def put_in_session(client, value) -> None:
    """Store ``value`` under the carry key in the test client's (cookie) session."""
    session = client.session
    session[SESSION_KEY] = value
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key


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


def test_calls_made_before_a_redirect_render_on_the_next_page_once(client) -> None:
    response = client.post("/cart/add/", {"email": " Jane.Doe@Example.com ", "sku": "S-9"})
    assert response.status_code == 302
    assert payloads(html_of(response)) == []
    # A JSON call in between does not consume them: it is no page.
    assert client.get("/api/cart/").json() == {"items": 1}
    calls = page_calls(client.get("/thanks/"))
    assert calls[0] == ["identify", {"email": hash_field("email", "jane.doe@example.com")}]
    params = {"content_ids": "S-9", "value": 5, "currency": "USD"}
    assert calls[1][:3] == ["track", "AddToCart", params]
    assert page_calls(client.get("/thanks/")) == []


def test_only_hashes_are_kept_in_the_session(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-9", "user": "u-77"})
    stored = json.dumps(dict(client.session.items()))
    assert SESSION_KEY in stored
    assert "jane@example.com" not in stored and "u-77" not in stored
    assert hash_field("email", "jane@example.com") in stored


def test_two_redirects_in_a_row_keep_every_call_in_order(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    assert client.get("/checkout/").status_code == 302
    calls = page_calls(client.get("/thanks/"))
    assert [c[0] if c[0] == "identify" else c[1] for c in calls] == [
        "identify",
        "AddToCart",
        "InitiateCheckout",
    ]


def test_the_event_id_survives_the_redirect(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    stored = client.session[SESSION_KEY]
    [track] = [c for c in stored if c["method"] == "track"]
    [rendered] = [c for c in page_calls(client.get("/thanks/")) if c[0] == "track"]
    assert rendered[3] == {"event_id": track["event_id"]}


@pytest.mark.parametrize(
    "value",
    [
        "not a list",
        42,
        [{"method": 5}, None, {"method": "track", "event": None, "params": {}}],
        [{"method": "alert", "params": {}}],
        [{"method": "track", "event": "Search", "params": "x"}],
    ],
)
def test_a_broken_session_value_never_breaks_the_page(client, caplog, value) -> None:
    put_in_session(client, value)
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        response = client.get("/product/P/")
    assert response.status_code == 200
    assert [c[1] for c in page_calls(response)] == ["ViewContent"]
    assert len([r for r in caplog.records if r.name.startswith("tiktok_pixel")]) == 1
    assert SESSION_KEY not in client.session


def test_good_entries_of_a_partly_broken_session_value_are_kept(client) -> None:
    good = {"method": "track", "event": "Purchase", "params": {"value": 3}, "event_id": "e-1"}
    put_in_session(client, [{"method": None}, good])
    calls = page_calls(client.get("/thanks/"))
    assert calls == [["track", "Purchase", {"value": 3}, {"event_id": "e-1"}]]


def test_carried_calls_are_bounded(client) -> None:
    call = {"method": "track", "event": "Search", "params": {}, "event_id": "e"}
    put_in_session(client, [call] * (MAX_CARRIED + 30))
    assert len(page_calls(client.get("/thanks/"))) == MAX_CARRIED


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
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
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


def test_a_streamed_page_leaves_carried_calls_for_the_next_page(client) -> None:
    """A stream renders after the session is saved: showing carried calls would repeat them."""
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    response = client.get("/stream/tagged/")
    html = b"".join(response.streaming_content).decode()
    [payload] = payloads(html)
    [call] = payload["calls"]
    assert call[:3] == ["track", "ViewContent", {"content_ids": "STREAM"}]
    assert [c[0] for c in page_calls(client.get("/thanks/"))] == ["identify", "track"]
    assert page_calls(client.get("/thanks/")) == []


def test_a_visitor_without_a_session_cookie_keeps_cacheable_pages(client) -> None:
    """No session cookie, nothing can be carried: the session is not touched, so no Vary: Cookie."""
    response = client.get("/product/SKU-1/")
    assert "Cookie" not in response.get("Vary", "")
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
