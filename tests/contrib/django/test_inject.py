"""``AUTO_INJECT``: HTML pages without the tag get it before ``</head>``; nothing else changes."""

from __future__ import annotations

import pytest

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls, script_tags


@pytest.fixture(autouse=True)
def auto_inject(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJECT": True}


def test_a_page_without_the_tag_gets_it_before_head_end(client) -> None:
    response = client.get("/plain/?track=shoes")
    html = html_of(response)
    assert html.index("</title>") < html.index("<script") < html.index("</HEAD>")
    assert page_calls(response)[0][:3] == ["track", "Search", {"query": "shoes"}]
    assert "<p>no tag here</p>" in html


def test_a_page_already_carrying_a_payload_is_left_alone(client) -> None:
    response = client.get("/tagged/")
    assert html_of(response) == (
        '<html><head><script type="application/json" data-tiktok-pixel>{"pixels":[],"calls":[]}'
        "</script></head><body></body></html>"
    )


def test_redirects_are_left_alone_and_their_calls_injected_on_the_next_page(client) -> None:
    response = client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    assert response.status_code == 302 and b"<script" not in response.content
    calls = page_calls(client.get("/plain/"))
    assert [c[0] for c in calls] == ["identify", "track"]
    assert page_calls(client.get("/plain/")) == []


def test_off_by_default(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE}
    assert script_tags(html_of(client.get("/plain/?track=shoes"))) == []


def test_disabled_injects_nothing(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJECT": True, "ENABLED": False}
    assert script_tags(html_of(client.get("/plain/?track=shoes"))) == []


def test_the_content_length_follows_the_injection(client, settings) -> None:
    settings.MIDDLEWARE = [
        "django.middleware.common.CommonMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
    ]
    response = client.get("/plain/?track=shoes")
    assert int(response["Content-Length"]) == len(response.content)
    assert len(page_calls(response)) == 1
