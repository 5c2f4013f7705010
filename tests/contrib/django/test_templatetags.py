"""``{% tiktok_pixel %}``'s syntax: the nonce as a keyword or positional argument, ``as NAME``."""

from __future__ import annotations

import pytest
from django.template import TemplateSyntaxError, engines
from django.test import RequestFactory

from tests.contrib.django.pages import script_tags
from tests.payload import payloads
from tiktok_pixel.contrib.django.page import request_pixel

NONCE = "t4gN0nce"


def render(source: str, **context: object) -> str:
    request = RequestFactory().get("/")
    request_pixel(request).events.track("AddToCart", value=5, currency="EUR", event_id="e-1")
    template = engines["django"].from_string("{% load tiktok_pixel %}" + source)
    return template.render(context, request)


@pytest.mark.parametrize(
    "source",
    ["{% tiktok_pixel nonce=n %}", "{% tiktok_pixel n %}", "{% tiktok_pixel nonce='t4gN0nce' %}"],
)
def test_the_nonce_as_a_keyword_or_a_positional_argument(source: str) -> None:
    html = render(source, n=NONCE)
    [tag] = script_tags(html)
    assert f'nonce="{NONCE}"' in tag
    [payload] = payloads(html)
    assert payload["calls"][0][:2] == ["track", "AddToCart"]


def test_without_a_nonce_no_attribute_and_an_empty_one_counts_as_none() -> None:
    for source in ("{% tiktok_pixel %}", "{% tiktok_pixel nonce=missing %}"):
        [tag] = script_tags(render(source))
        assert "nonce" not in tag


def test_as_name_stores_the_fragment_instead_of_printing_it() -> None:
    html = render("<b>{% tiktok_pixel nonce=n as pixel_html %}</b>{{ pixel_html }}", n=NONCE)
    assert html.startswith("<b></b><script")  # stored, then printed unescaped
    assert f'nonce="{NONCE}"' in html and len(payloads(html)) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% tiktok_pixel code='x' %}", "only a nonce= argument, not 'code'"),
        ("{% tiktok_pixel 'a' 'b' %}", "one argument at most"),
        ("{% tiktok_pixel nonce='a' nonce='b' %}", "one argument at most"),
    ],
)
def test_other_arguments_are_a_template_syntax_error(source: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        render(source)
