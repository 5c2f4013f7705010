"""calls_in agrees with Chromium: what it reads from the HTML is what the page queues in ttq.

For each page of a corpus of rendered pages, the calls ``calls_in`` returns are laid out the way
the runtime applies them (main queue, ``ttq._i[code]`` per pixel, ``ttq._o[code]`` load options)
and compared with what Chromium actually queued. The events.js stand-in leaves the queues alone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import Site, html_page, read_queues, watch_errors
from tests.conftest import CODE, CODE2
from tiktok_pixel import Call, PageEvents, PixelConfig, render_calls
from tiktok_pixel.resources import static_path
from tiktok_pixel.testing import assert_tracked, calls_in
from tiktok_pixel.validation import validate_page

pytestmark = pytest.mark.browser

RUNTIME = "/static/tiktok_pixel.js"
NO_INLINE = {"inline": False, "runtime_url": RUNTIME}

#: A site's own ttq for existing-pixel mode: an array queue with instance(), like TikTok's.
SITE_TTQ = (
    "<script>(function(){var q=window.ttq=[];q.methods='page track identify holdConsent'"
    ".split(' ');q._i={};var S=function(o){q.methods.forEach(function(m){o[m]=function()"
    "{o.push([m].concat([].slice.call(arguments)));};});return o;};S(q);"
    "q.instance=function(p){return S(q._i[p]=q._i[p]||[]);};})();</script>"
)


def calls(n: int = 0) -> list[Call]:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.identify(email=f"user{n}@example.com", phone_number="+44 7700 900123")
    page.track(
        "AddToCart",
        contents=[{"content_id": f"sku-{n}", "content_name": "</script>&'\"", "price": 9.5}],
        value=19,
        currency="EUR",
        content_type="product",
    )
    page.track("Search", query=f"mugs {n}", event_id=f"evt-{n}")
    return list(page.calls)


def fragment(calls_: list[Call], **settings: Any) -> str:
    return str(render_calls(PixelConfig(**settings), calls_, nonce="abc123"))


#: name -> the <head> content of the page.
CORPUS: dict[str, str] = {
    "inline": fragment(calls(), pixel_codes=CODE),
    "no-inline": fragment(calls(), pixel_codes=CODE, **NO_INLINE),
    "several": fragment(calls(), pixel_codes=[CODE, CODE2]),
    "several-no-inline": fragment(calls(), pixel_codes=[CODE, CODE2], **NO_INLINE),
    "hold": fragment(calls(), pixel_codes=CODE, consent="hold"),
    "hold-several-no-page": fragment(
        calls(), pixel_codes=[CODE, CODE2], consent="hold", auto_page_view=False
    ),
    "limited-data-use": fragment(calls(), pixel_codes=CODE, limited_data_use=True),
    "custom-sdk-no-page": fragment(
        calls(), pixel_codes=CODE, sdk_url="/sdk/events.js", auto_page_view=False
    ),
    "custom-sdk-no-inline": fragment(
        calls(), pixel_codes=[CODE, CODE2], sdk_url="/sdk/events.js", **NO_INLINE
    ),
    "twice": fragment(calls(1), pixel_codes=CODE) + fragment(calls(2), pixel_codes=CODE),
    "twice-no-inline": fragment(calls(1), pixel_codes=CODE, **NO_INLINE)
    + fragment(calls(2), pixel_codes=CODE, **NO_INLINE),
    "twice-mixed": fragment(calls(1), pixel_codes=[CODE, CODE2], **NO_INLINE)
    + fragment(calls(2), pixel_codes=CODE, consent="hold"),
    "twice-new-pixel": fragment(calls(1), pixel_codes=CODE)
    + fragment(calls(2), pixel_codes=[CODE, CODE2]),
    "existing": SITE_TTQ + fragment(calls(), pixel_codes=CODE, use_existing_pixel=True),
    "existing-several": SITE_TTQ
    + fragment(calls(), pixel_codes=[CODE, CODE2], use_existing_pixel=True, consent="hold"),
    "nothing": fragment([], pixel_codes=CODE),
}


def as_queues(read: list[Call]) -> dict[str, Any]:
    """Lay calls out as the browser holds them: main queue, per-pixel queues, load options."""
    main: list[Any] = []
    instances: dict[str, list[Any]] = {}
    options: dict[str, Any] = {}
    for call in read:
        if call.method == "load":
            instances[str(call.pixel_code)] = []
            options[str(call.pixel_code)] = call.params
        elif call.pixel_code is None:
            main.append(call.args())
        else:
            instances.setdefault(call.pixel_code, []).append(call.args())
    return {"main": main, "instances": instances, "options": options}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_calls_in_equals_what_chromium_queues(name: str, page: Any, site: Site) -> None:
    errors = watch_errors(page)
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    html = html_page(CORPUS[name], "<p>shop</p>")
    page.goto(site.add("/", html))  # waits for "load": async scripts have run by then
    queues = read_queues(page)
    read = calls_in(html)
    expected = as_queues(read)
    assert queues is not None
    assert queues["main"] == expected["main"]
    assert queues["instances"] == expected["instances"]
    if "existing" not in name:  # the site's own ttq keeps no load options
        assert queues["options"] == expected["options"]
        loads = [url for url in site.requests if "?sdkid=" in url]
        assert len(loads) == len(read.pixels)
    assert errors == []
    # the live DOM (with the events.js tags the runtime inserted) reads the same
    assert calls_in(page) == read
    assert validate_page(page.content()) == validate_page(html)


def test_assertions_work_on_a_playwright_page(page: Any, site: Site) -> None:
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    page.goto(site.add("/", html_page(CORPUS["several-no-inline"])))
    call = assert_tracked(page, "Search", query="mugs 0", pixel_code=CODE2)
    assert call.event_id == "evt-0"


HEAD_CASES = {
    "in-head": html_page(CORPUS["inline"]),
    "in-body": html_page("", CORPUS["inline"]),
    "after-head-before-body": "<html><head></head>" + CORPUS["inline"] + "<body></body></html>",
    "implied-head": "<!doctype html><title>t</title>" + CORPUS["inline"] + "<p>x</p>",
    "implied-body": "<!doctype html><title>t</title><p>x</p>" + CORPUS["inline"],
    "after-noscript": html_page("<noscript><img src=x></noscript>" + CORPUS["inline"]),
    "in-div": "<html><head></head><body><div>" + CORPUS["no-inline"] + "</div></body></html>",
}


@pytest.mark.parametrize("name", sorted(HEAD_CASES))
def test_loader_outside_head_agrees_with_the_dom(name: str, page: Any, site: Site) -> None:
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    html = HEAD_CASES[name]
    page.goto(site.add("/", html))
    in_head = page.evaluate(
        "() => Array.from(document.scripts).filter(s => s.textContent.includes('{\"pixels\":')"
        " || s.hasAttribute('data-tiktok-pixel')).map(s => document.head.contains(s))"
    )
    assert len(in_head) == 1
    flagged = "loader-outside-head" in [f.id for f in validate_page(html)]
    assert flagged == (not in_head[0])
