"""The Jinja extension in a bare ``jinja2.Environment``: no web framework involved."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from jinja2 import Environment, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from tests.conftest import CODE
from tests.payload import payloads
from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.contrib.jinja import CONTEXT_NAME, TikTokPixelExtension

NONCE = "r4nd0mN0nce+/="


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def env() -> Environment:
    return Environment(extensions=[TikTokPixelExtension], autoescape=True)


@pytest.fixture
def events(config: PixelConfig) -> PageEvents:
    page = PageEvents(config)
    page.identify(email="Ann@Example.com")
    page.track("AddToCart", value=12.5, currency="EUR", event_id="evt-1")
    return page


EXPECTED_CALLS = [
    ["identify", {"email": sha("ann@example.com")}],
    ["track", "AddToCart", {"value": 12.5, "currency": "EUR"}, {"event_id": "evt-1"}],
]


@pytest.mark.parametrize(
    "make",
    [
        lambda: SandboxedEnvironment(extensions=[TikTokPixelExtension], autoescape=True),
        lambda: Environment(extensions=[TikTokPixelExtension], autoescape=True, enable_async=True),
        lambda: Environment(extensions=[TikTokPixelExtension], autoescape=False),
    ],
    ids=["sandboxed", "async", "no-autoescape"],
)
def test_the_tag_renders_in_every_kind_of_environment(
    make: Callable[[], Environment], events: PageEvents
) -> None:
    env = make()
    for source in ("<head>{% tiktok_pixel %}</head>", "<head>{% tiktok_pixel nonce=n %}</head>"):
        template = env.from_string(source)
        if env.is_async:  # in a thread of its own: the suite's browser tests run an event loop
            with ThreadPoolExecutor(1) as pool:
                rendering = template.render_async(tiktok_pixel_events=events, n=NONCE)
                html = pool.submit(asyncio.run, rendering).result()
        else:
            html = template.render(tiktok_pixel_events=events, n=NONCE)
        [payload] = payloads(html)
        assert payload["calls"] == EXPECTED_CALLS
        assert html.startswith(f"<head><script{' nonce' if 'nonce' in source else ''}")


def test_context_name_is_documented_value() -> None:
    assert CONTEXT_NAME == "tiktok_pixel_events"


@pytest.mark.parametrize(
    "source",
    ["<head>{% tiktok_pixel %}</head>", "<head>{{ tiktok_pixel() }}</head>"],
    ids=["tag", "global"],
)
def test_tag_and_global_render_the_pages_calls(
    env: Environment, events: PageEvents, source: str
) -> None:
    html = env.from_string(source).render(tiktok_pixel_events=events)
    assert html.startswith("<head><script>") and html.endswith("</script></head>")
    [payload] = payloads(html)
    assert payload["pixels"] == [CODE]
    assert payload["calls"] == EXPECTED_CALLS
    # the same output as rendering the collector directly: no double escaping under autoescape
    assert html == f"<head>{events.render()}</head>"


def test_tag_works_without_autoescape(events: PageEvents) -> None:
    env = Environment(extensions=[TikTokPixelExtension])
    html = env.from_string("{% tiktok_pixel %}").render(tiktok_pixel_events=events)
    assert payloads(html)[0]["calls"] == EXPECTED_CALLS


@pytest.mark.parametrize(
    "source",
    [
        "{% tiktok_pixel nonce=csp_nonce %}",
        "{% tiktok_pixel nonce=request.nonce %}",
        "{{ tiktok_pixel(nonce=csp_nonce) }}",
        "{{ tiktok_pixel(csp_nonce) }}",
    ],
)
def test_explicit_nonce_on_every_script_tag(
    env: Environment, events: PageEvents, source: str
) -> None:
    html = env.from_string(source).render(
        tiktok_pixel_events=events, csp_nonce=NONCE, request={"nonce": NONCE}
    )
    tags = re.findall(r"<script[^>]*>", html)
    assert tags and all(f'nonce="{NONCE}"' in tag for tag in tags)


def test_no_inline_mode_nonce_on_both_script_tags(env: Environment) -> None:
    config = PixelConfig(pixel_codes=CODE, inline=False, runtime_url="/static/tiktok_pixel.js")
    events = PageEvents(config)
    events.track("ViewContent", event_id="e")
    html = env.from_string("{% tiktok_pixel nonce=n %}").render(tiktok_pixel_events=events, n=NONCE)
    tags = re.findall(r"<script[^>]*>", html)
    assert len(tags) == 2
    assert all(f'nonce="{NONCE}"' in tag for tag in tags)
    assert payloads(html)[0]["calls"] == [["track", "ViewContent", {}, {"event_id": "e"}]]


def test_context_csp_nonce_is_used_when_the_tag_gives_none(
    env: Environment, events: PageEvents
) -> None:
    template = env.from_string("{% tiktok_pixel %}")
    assert 'nonce="abc"' in template.render(tiktok_pixel_events=events, csp_nonce="abc")
    # flask-talisman registers csp_nonce as a function
    assert 'nonce="def"' in template.render(tiktok_pixel_events=events, csp_nonce=lambda: "def")
    # an explicit argument wins
    html = env.from_string("{% tiktok_pixel nonce='xyz' %}").render(
        tiktok_pixel_events=events, csp_nonce="abc"
    )
    assert 'nonce="xyz"' in html and 'nonce="abc"' not in html


def test_undefined_nonce_renders_without_nonce(env: Environment, events: PageEvents) -> None:
    html = env.from_string("{% tiktok_pixel nonce=nope %}").render(tiktok_pixel_events=events)
    assert html.startswith("<script>")


def test_no_collector_renders_nothing(env: Environment) -> None:
    assert env.from_string("a{% tiktok_pixel %}b{{ tiktok_pixel() }}c").render() == "abc"
    assert env.from_string("a{% tiktok_pixel %}b").render(tiktok_pixel_events=None) == "ab"


def test_invalid_nonce_logs_one_warning_and_renders_nothing(
    env: Environment, events: PageEvents, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    html = env.from_string("<head>{% tiktok_pixel nonce=n %}</head>").render(
        tiktok_pixel_events=events, n='"><script>alert(1)</script>'
    )
    assert html == "<head></head>"
    [record] = caplog.records
    assert "InvalidNonce" in record.getMessage()
    assert "alert" not in record.getMessage()


def test_broken_collector_is_contained_and_its_message_not_logged(
    env: Environment, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def render(self, *, nonce: str | None = None) -> str:
            raise RuntimeError("ann@example.com")

    caplog.set_level(logging.WARNING, logger="tiktok_pixel")
    html = env.from_string("x{% tiktok_pixel %}y").render(tiktok_pixel_events=Broken())
    assert html == "xy"
    [record] = caplog.records
    assert "RuntimeError" in record.getMessage()
    assert "ann@" not in record.getMessage()


def test_custom_context_name(events: PageEvents) -> None:
    env = Environment(extensions=[TikTokPixelExtension])
    env.tiktok_pixel_context_name = "pixel"  # type: ignore[attr-defined]
    assert payloads(env.from_string("{% tiktok_pixel %}").render(pixel=events))[0]["calls"]


def test_framework_renderer_hook(events: PageEvents) -> None:
    env = Environment(extensions=[TikTokPixelExtension])
    seen = []

    def renderer(context, nonce):  # type: ignore[no-untyped-def]
        seen.append((context.get("user"), nonce))
        return events.render(nonce=nonce)

    env.tiktok_pixel_renderer = renderer  # type: ignore[attr-defined]
    html = env.from_string("{% tiktok_pixel nonce='n1' %}").render(user="u")
    assert seen == [("u", "n1")]
    assert payloads(html)[0]["calls"] == EXPECTED_CALLS


@pytest.mark.parametrize(
    "source, message",
    [
        ("{% tiktok_pixel code='x' %}", "only a nonce= argument"),
        ("{% tiktok_pixel nonce='a', nonce='b' %}", "given twice"),
        ("{% tiktok_pixel nonce %}", "expected token"),
    ],
)
def test_bad_tag_arguments_fail_at_compile_time(
    env: Environment, source: str, message: str
) -> None:
    with pytest.raises(TemplateSyntaxError, match=message):
        env.from_string(source)


def test_tag_inside_included_template_sees_the_context(events: PageEvents) -> None:
    from jinja2 import DictLoader

    env = Environment(
        extensions=[TikTokPixelExtension],
        loader=DictLoader(
            {
                "base.html": "<head>{% block head %}{% endblock %}</head>",
                "head.html": "{% tiktok_pixel %}",
            }
        ),
        autoescape=True,
    )
    page = env.from_string(
        "{% extends 'base.html' %}{% block head %}{% include 'head.html' %}{% endblock %}"
    )
    assert payloads(page.render(tiktok_pixel_events=events))[0]["calls"] == EXPECTED_CALLS
