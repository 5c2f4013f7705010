"""The rendered loader in a real browser: what actually lands in the ttq queues."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.browser import Site, csp_violations, html_page, read_queues, watch_errors
from tests.conftest import CODE, CODE2
from tiktok_pixel import PageEvents, PixelConfig, render_calls
from tiktok_pixel.resources import static_path

pytestmark = pytest.mark.browser

XSS = "</script><script>window.__xss=1</script><!--"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def funnel(config: PixelConfig) -> tuple[PageEvents, str]:
    page = PageEvents(config)
    page.identify(email="Ann@Example.com", phone_number="+44 7700 900123", external_id="u-1")
    event_id = page.track(
        "AddToCart",
        value=19.99,
        currency="EUR",
        content_type="product",
        contents=[{"content_id": "sku-1", "content_name": XSS, "price": 19.99, "quantity": 1}],
    )
    assert event_id
    return page, event_id


def expected_calls(event_id: str) -> list[list[Any]]:
    return [
        [
            "identify",
            {
                "email": sha("ann@example.com"),
                "phone_number": sha("+447700900123"),
                "external_id": sha("u-1"),
            },
        ],
        [
            "track",
            "AddToCart",
            {
                "contents": [
                    {"content_id": "sku-1", "content_name": XSS, "price": 19.99, "quantity": 1}
                ],
                "content_type": "product",
                "value": 19.99,
                "currency": "EUR",
            },
            {"event_id": event_id},
        ],
    ]


def test_loader_loads_once_pages_once_and_queues_hashed_calls(page: Any, site: Site) -> None:
    errors = watch_errors(page)
    events, event_id = funnel(PixelConfig(pixel_codes=CODE))
    second = PageEvents(events.config)
    second_id = second.track("Search", query="mugs")
    # the fragment rendered twice on one page: one load, one page(), both sets of calls
    page.goto(site.add("/", html_page(str(events.render()) + str(second.render()))))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    queues = read_queues(page)
    assert queues["main"] == [
        ["page"],
        *expected_calls(event_id),
        ["track", "Search", {"query": "mugs"}, {"event_id": second_id}],
    ]
    assert queues["instances"] == {CODE: []}
    assert queues["options"] == {CODE: {}}
    assert len(queues["methods"]) == 16
    assert site.sdk_requests() == [
        f"https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={CODE}&lib=ttq"
    ]
    assert page.evaluate("() => window.__xss") is None
    assert (
        page.evaluate("() => document.querySelectorAll('script[src*=\"events.js\"]').length") == 1
    )
    assert errors == []


def test_several_pixels_route_every_call_through_instance(page: Any, site: Site) -> None:
    events, event_id = funnel(PixelConfig(pixel_codes=[CODE, CODE2], limited_data_use=True))
    page.goto(site.add("/", html_page(str(events.render()))))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 2")
    queues = read_queues(page)
    assert queues["main"] == []
    for code in (CODE, CODE2):
        assert queues["instances"][code] == [["page"], *expected_calls(event_id)]
        assert queues["options"][code] == {"limited_data_use": True}
    assert sorted(site.sdk_requests()) == sorted(
        f"https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={c}&lib=ttq"
        for c in (CODE, CODE2)
    )


def test_consent_hold_comes_before_load_and_page(page: Any, site: Site) -> None:
    events = PageEvents(PixelConfig(pixel_codes=CODE, consent="hold", auto_page_view=False))
    event_id = events.track("ViewContent")
    page.goto(site.add("/", html_page(str(events.render()))))
    queues = read_queues(page)
    assert queues["main"] == [["holdConsent"], ["track", "ViewContent", {}, {"event_id": event_id}]]


def test_existing_pixel_that_appears_500ms_late_still_gets_the_calls(page: Any, site: Site) -> None:
    errors = watch_errors(page)
    ours, event_id = funnel(PixelConfig(pixel_codes=CODE, use_existing_pixel=True))
    # the site's own base code, as a tag manager would inject it half a second later
    site_code = render_calls(PixelConfig(pixel_codes=CODE), [])
    site_js = str(site_code)[len("<script>") : -len("</script>")]
    body = f"<script>setTimeout(function () {{ {site_js} }}, 500);</script>"
    page.goto(site.add("/", html_page(str(ours.render()), body)))
    assert page.evaluate("() => window.ttq") is None
    page.wait_for_function("() => window.ttq && window.ttq.length >= 3", timeout=30_000)
    queues = read_queues(page)
    # the site's page() first, then ours in order; no second page(), no second load
    assert queues["main"] == [["page"], *expected_calls(event_id)]
    # events.js is requested after the load event here: wait until it has run (the stand-in
    # records each run), which implies its request was routed and logged
    page.wait_for_function("() => (window.__sdkRuns || []).length >= 1", timeout=30_000)
    assert len(site.sdk_requests()) == 1
    assert errors == []


def test_existing_pixel_already_on_the_page_gets_the_calls_at_once(page: Any, site: Site) -> None:
    site_code = str(render_calls(PixelConfig(pixel_codes=CODE), []))
    ours, event_id = funnel(PixelConfig(use_existing_pixel=True))
    page.goto(site.add("/", html_page(site_code + str(ours.render()))))
    assert read_queues(page)["main"] == [["page"], *expected_calls(event_id)]
    assert len(site.sdk_requests()) == 1


def test_no_inline_mode_under_a_strict_csp(page: Any, site: Site) -> None:
    errors = watch_errors(page)
    config = PixelConfig(pixel_codes=CODE, inline=False, runtime_url="/static/tiktok_pixel.js")
    events, event_id = funnel(config)
    site.add(
        "/static/tiktok_pixel.js",
        static_path("tiktok_pixel.js").read_text(),
        "application/javascript",
    )
    csp = "default-src 'self'; script-src 'nonce-Nz8x' 'strict-dynamic'; connect-src 'self'"
    page.goto(
        site.add(
            "/",
            html_page(str(events.render(nonce="Nz8x"))),
            headers={"Content-Security-Policy": csp},
        )
    )
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert read_queues(page)["main"] == [["page"], *expected_calls(event_id)]
    assert csp_violations(page) == []
    assert errors == []


def test_inline_mode_with_nonce_under_a_strict_csp(page: Any, site: Site) -> None:
    events, event_id = funnel(PixelConfig(pixel_codes=CODE))
    csp = "default-src 'self'; script-src 'nonce-Nz8x' 'strict-dynamic'"
    page.goto(
        site.add(
            "/",
            html_page(str(events.render(nonce="Nz8x"))),
            headers={"Content-Security-Policy": csp},
        )
    )
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert read_queues(page)["main"] == [["page"], *expected_calls(event_id)]
    assert csp_violations(page) == []


def test_without_the_nonce_a_strict_csp_blocks_the_script(page: Any, site: Site) -> None:
    """The CSP check above can fail: the same page without the nonce is blocked."""
    events, _ = funnel(PixelConfig(pixel_codes=CODE))
    csp = "default-src 'self'; script-src 'nonce-Nz8x' 'strict-dynamic'"
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective));"
    )
    page.goto(
        site.add("/", html_page(str(events.render())), headers={"Content-Security-Policy": csp})
    )
    assert read_queues(page) is None
    assert csp_violations(page)
