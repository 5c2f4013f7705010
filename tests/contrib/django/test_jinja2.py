"""Django's Jinja2 backend: the extension's tag and global, wired to the request."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls, script_tags
from tiktok_pixel.contrib.django.jinja2 import environment
from tiktok_pixel.contrib.django.page import request_pixel


@pytest.mark.parametrize("template", ["page.html", "tag.html"])
def test_global_and_tag_render_the_requests_calls(client, template) -> None:
    calls = page_calls(client.get(f"/jinja/?template={template}"))
    assert [c[:3] for c in calls] == [["track", "ViewContent", {"content_ids": "J-1"}]]


def test_redirected_calls_reach_a_jinja_page(client) -> None:
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    calls = page_calls(client.get("/jinja/?template=tag.html"))
    assert [c[0] if c[0] == "identify" else c[1] for c in calls] == [
        "identify",
        "AddToCart",
        "ViewContent",
    ]
    assert [c[1] for c in page_calls(client.get("/jinja/"))] == ["ViewContent"]


def test_disabled_renders_nothing(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "ENABLED": False}
    for template in ("page.html", "tag.html"):
        assert script_tags(html_of(client.get(f"/jinja/?template={template}"))) == []


def test_the_environment_renders_from_a_request_outside_a_view() -> None:
    request = RequestFactory().get("/")
    request_pixel(request).events.track("Search", query="hats")
    engine = engines["jinja2"]
    html = engine.from_string("<head>{% tiktok_pixel %}</head>").render(request=request)
    assert "Search" in html and '"query":"hats"' in html


def test_the_environment_accepts_the_backends_options() -> None:
    env = environment(autoescape=True, trim_blocks=True)
    assert env.autoescape is True and env.trim_blocks is True
    assert "tiktok_pixel" in env.globals
