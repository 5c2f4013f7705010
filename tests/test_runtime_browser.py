"""The rendered loader in a real browser: what actually lands in the ttq queues."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.browser import (
    ORIGIN,
    SDK_STANDIN,
    Site,
    csp_violations,
    html_page,
    read_queues,
    watch_errors,
)
from tests.conftest import CODE, CODE2
from tiktok_pixel import PageEvents, PixelConfig, render_calls
from tiktok_pixel.resources import static_path

pytestmark = pytest.mark.browser

XSS = "</script><script>window.__xss=1</script><!--"
RUNTIME = "/static/tiktok_pixel.js"


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
    page.wait_for_function("() => window.ttq && window.ttq.length >= 3", timeout=5_000)
    queues = read_queues(page)
    # the site's page() first, then ours in order; no second page(), no second load
    assert queues["main"] == [["page"], *expected_calls(event_id)]
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


METHODS = (
    "page track identify instances debug on off once ready alias group enableCookie "
    "disableCookie holdConsent revokeConsent grantConsent"
).split()

BASE_CODE_SHAPE = """code => {
  const q = window.ttq, own = q.instance(code);
  own.track('Lead');
  const scripts = Array.from(document.querySelectorAll('script[src*="sdkid="]'));
  return {
    objectName: window.TiktokAnalyticsObject,
    isArray: Array.isArray(q),
    methods: q.methods,
    stubs: q.methods.filter(m => typeof q[m] === 'function' && typeof own[m] === 'function'),
    setAndDefer: typeof q.setAndDefer,
    ownQueue: q._i[code] === own && JSON.parse(JSON.stringify(Array.from(own))),
    url: q._i[code]._u,
    loadedAt: typeof q._t[code],
    options: q._o[code],
    scripts: scripts.map(s => [s.src, s.async]),
  };
}"""


def test_the_queue_has_tiktoks_base_code_shape(page: Any, site: Site) -> None:
    page.goto(site.add("/", html_page(str(PageEvents(PixelConfig(pixel_codes=CODE)).render()))))
    shape = page.evaluate(BASE_CODE_SHAPE, CODE)
    assert shape == {
        "objectName": "ttq",
        "isArray": True,
        "methods": METHODS,
        "stubs": METHODS,
        "setAndDefer": "function",
        "ownQueue": [["track", "Lead"]],
        "url": "https://analytics.tiktok.com/i18n/pixel/events.js",
        "loadedAt": "number",
        "options": {},
        "scripts": [
            [f"https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={CODE}&lib=ttq", True]
        ],
    }


#: A ttq that the site (or events.js) set up before our fragment: it has load(), its own track
#: marks what it receives, and it has loaded CODE already.
SITE_SET_UP = f"""<script>
window.ttq = [];
ttq.loads = [];
ttq.load = function (code) {{
  (ttq._i = ttq._i || {{}})[code] = [];
  ttq.loads.push(code);
}};
["page", "track", "identify"].forEach(function (m) {{
  ttq[m] = function () {{ ttq.push(["site:" + m].concat([].slice.call(arguments))); }};
}});
ttq.load("{CODE}");
</script>"""


def test_an_already_set_up_ttq_is_left_alone(page: Any, site: Site) -> None:
    events = PageEvents(PixelConfig(pixel_codes=[CODE, CODE2]))
    events.track("Search", query="mugs", event_id="e1")
    page.goto(site.add("/", html_page(SITE_SET_UP + str(events.render()))))
    result = page.evaluate(
        "() => ({loads: ttq.loads, queue: JSON.parse(JSON.stringify(Array.from(ttq))),"
        " track: String(ttq.track).includes('site:'), methods: ttq.methods || null})"
    )
    # no new stubs, no second load of CODE; CODE2 is loaded through the site's own load()
    assert result == {
        "loads": [CODE, CODE2],
        "queue": [],
        "track": True,
        "methods": None,
    }
    assert site.sdk_requests() == []  # the site's load() stands in for events.js here


def test_limited_data_use_reaches_load_options(page: Any, site: Site) -> None:
    events, event_id = funnel(PixelConfig(pixel_codes=CODE, limited_data_use=True))
    page.goto(site.add("/", html_page(str(events.render()))))
    queues = read_queues(page)
    assert queues["options"] == {CODE: {"limited_data_use": True}}
    assert queues["main"] == [["page"], *expected_calls(event_id)]


@pytest.mark.parametrize("inline", [True, False])
def test_a_custom_sdk_url_is_loaded_with_sdkid_and_lib(inline: bool, page: Any, site: Site) -> None:
    site.add("/sdk/events.js", SDK_STANDIN, "application/javascript")
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    config = PixelConfig(
        pixel_codes=CODE, sdk_url="/sdk/events.js", inline=inline, runtime_url=RUNTIME
    )
    page.goto(site.add("/", html_page(str(PageEvents(config).render()))))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert [url for url in site.requests if "sdkid=" in url] == [
        f"{ORIGIN}/sdk/events.js?sdkid={CODE}&lib=ttq"
    ]
    assert page.evaluate(f"() => ttq._i['{CODE}']._u") == "/sdk/events.js"
    assert read_queues(page)["main"] == [["page"]]


def test_no_inline_fragment_rendered_twice_loads_once(page: Any, site: Site) -> None:
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    config = PixelConfig(pixel_codes=CODE, inline=False, runtime_url=RUNTIME)
    first, event_id = funnel(config)
    second = PageEvents(config)
    second_id = second.track("Search", query="mugs")
    page.goto(site.add("/", html_page(str(first.render()) + str(second.render()))))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert read_queues(page)["main"] == [
        ["page"],
        *expected_calls(event_id),
        ["track", "Search", {"query": "mugs"}, {"event_id": second_id}],
    ]
    assert len(site.sdk_requests()) == 1


# --- the "tiktok-pixel" DOM event (htmx's HX-Trigger) -------------------------------------

LATER = [
    ["identify", {"external_id": sha("u-2")}],
    ["track", "AddToCart", {"value": 5, "currency": "EUR", "x": XSS}, {"event_id": "hx-1"}],
]

#: What htmx does for `HX-Trigger: {"tiktok-pixel": {"calls": [...]}}`: a bubbling CustomEvent
#: on the element that made the request, with the header's value plus `elt` as detail.
DISPATCH = """calls => {
  const elt = document.getElementById('card') || document.body;
  elt.dispatchEvent(new CustomEvent('tiktok-pixel', {bubbles: true, detail: {calls, elt}}));
}"""


def listener_page(site: Site, config: PixelConfig, *, twice: bool = False, extra: str = "") -> str:
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    fragment = str(PageEvents(config).render(nonce="Nz8x"))
    csp = "default-src 'self'; script-src 'nonce-Nz8x' 'strict-dynamic'; connect-src 'self'"
    body = '<div id="card"><button>Add to cart</button></div>'
    html = html_page(extra + fragment * (2 if twice else 1), body)
    return site.add("/", html, headers={"Content-Security-Policy": csp})


def modes(**settings: Any) -> list[Any]:
    return [
        pytest.param(PixelConfig(**settings), id="inline"),
        pytest.param(PixelConfig(**settings, inline=False, runtime_url=RUNTIME), id="no-inline"),
    ]


@pytest.mark.parametrize("config", modes(pixel_codes=CODE))
@pytest.mark.parametrize("twice", [False, True], ids=["once", "rendered-twice"])
def test_the_event_replays_its_calls_once_per_event(
    config: PixelConfig, twice: bool, page: Any, site: Site
) -> None:
    errors = watch_errors(page)
    page.goto(listener_page(site, config, twice=twice))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    page.evaluate(DISPATCH, LATER)
    assert read_queues(page)["main"] == [["page"], *LATER]
    page.evaluate(DISPATCH, LATER[1:])
    assert read_queues(page)["main"] == [["page"], *LATER, *LATER[1:]]
    # an event without calls (htmx's plain "HX-Trigger: tiktok-pixel"), or another event,
    # changes nothing and breaks nothing
    page.evaluate("() => document.dispatchEvent(new CustomEvent('tiktok-pixel'))")
    page.evaluate("() => document.dispatchEvent(new CustomEvent('tiktok-pixel', {detail: {}}))")
    page.evaluate("() => document.dispatchEvent(new CustomEvent('tiktok-pixel-other'))")
    assert read_queues(page)["main"] == [["page"], *LATER, *LATER[1:]]
    assert csp_violations(page) == []
    assert errors == []


@pytest.mark.parametrize("config", modes(pixel_codes=[CODE, CODE2]))
def test_the_event_routes_to_every_pixel(config: PixelConfig, page: Any, site: Site) -> None:
    page.goto(listener_page(site, config))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 2")
    page.evaluate(DISPATCH, LATER)
    queues = read_queues(page)
    assert queues["main"] == []
    assert queues["instances"] == {CODE: [["page"], *LATER], CODE2: [["page"], *LATER]}


@pytest.mark.parametrize("config", modes(pixel_codes=CODE, use_existing_pixel=True))
def test_the_event_reaches_an_existing_pixel_that_appears_late(
    config: PixelConfig, page: Any, site: Site
) -> None:
    errors = watch_errors(page)
    site_code = str(render_calls(PixelConfig(pixel_codes=CODE), [], nonce="Nz8x"))
    late = site_code.replace(">", ">setTimeout(function () {", 1).replace(
        "</script>", "}, 500);</script>"
    )
    # existing-pixel mode renders nothing without calls: the page has one of its own
    events = PageEvents(config)
    event_id = events.track("ViewContent")
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    csp = "default-src 'self'; script-src 'nonce-Nz8x' 'strict-dynamic'; connect-src 'self'"
    html = html_page(str(events.render(nonce="Nz8x")) + late, '<div id="card"></div>')
    page.goto(site.add("/", html, headers={"Content-Security-Policy": csp}))
    page.wait_for_function("() => document.readyState === 'complete'")
    page.evaluate(DISPATCH, LATER)  # before the site's ttq exists
    page.wait_for_function("() => window.ttq && window.ttq.length >= 4", timeout=5_000)
    assert read_queues(page)["main"] == [
        ["page"],
        ["track", "ViewContent", {}, {"event_id": event_id}],
        *LATER,
    ]
    assert csp_violations(page) == []
    assert errors == []


@pytest.mark.parametrize("config", modes(pixel_codes=CODE, use_existing_pixel=True))
def test_calls_for_an_existing_pixel_are_dropped_after_10_seconds(
    config: PixelConfig, page: Any, site: Site
) -> None:
    errors = watch_errors(page)
    page.clock.install()
    events = PageEvents(config)
    events.track("ViewContent")
    site.add(RUNTIME, static_path("tiktok_pixel.js").read_text(), "application/javascript")
    page.goto(site.add("/", html_page(str(events.render()), '<div id="card"></div>')))
    page.wait_for_function("() => (window['tiktok-pixel'] || []).length === 1")
    page.clock.run_for(5_000)
    page.evaluate(DISPATCH, LATER)  # waits 10 s of its own
    assert page.evaluate("() => window['tiktok-pixel'].length") == 2
    page.clock.run_for(5_500)  # the page's calls gave up; the event's still wait
    assert page.evaluate("() => window['tiktok-pixel'].length") == 1
    page.evaluate(
        "() => { const q = window.ttq = [];"
        " for (const m of ['track', 'identify']) q[m] = (...a) => q.push([m, ...a]); }"
    )
    page.clock.run_for(100)
    assert read_queues(page)["main"] == LATER
    assert page.evaluate("() => window['tiktok-pixel'].length") == 0
    assert errors == []
