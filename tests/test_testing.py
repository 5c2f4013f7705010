"""tiktok_pixel.testing: reading calls back from rendered pages, and the assertion helpers."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.browser import html_page
from tests.conftest import CODE, CODE2
from tiktok_pixel import Call, PageEvents, PixelConfig, render_calls, sha256_hex
from tiktok_pixel.fragment import heads, page_order
from tiktok_pixel.testing import (
    PageCalls,
    PayloadError,
    PixelCalls,
    assert_identified,
    assert_not_tracked,
    assert_tracked,
    assert_valid,
    calls_in,
    format_call,
    page_html,
)

pytest_plugins = ["pytester"]  # for the plugin tests at the end

CODE3 = "D7KDRMBC77U9EB7RJROG"
RUNTIME = "/static/tiktok_pixel.js"

#: Every way the product renders: (name, PixelConfig settings).
MODES: list[tuple[str, dict[str, Any]]] = [
    ("inline", {"pixel_codes": CODE}),
    ("no-inline", {"pixel_codes": CODE, "inline": False, "runtime_url": RUNTIME}),
    ("several", {"pixel_codes": [CODE, CODE2, CODE3]}),
    (
        "several-no-inline",
        {"pixel_codes": [CODE, CODE2], "inline": False, "runtime_url": RUNTIME},
    ),
    ("existing", {"pixel_codes": CODE, "use_existing_pixel": True}),
    ("existing-no-code", {"use_existing_pixel": True}),
    ("existing-several", {"pixel_codes": [CODE, CODE2], "use_existing_pixel": True}),
    ("hold", {"pixel_codes": CODE, "consent": "hold"}),
    ("hold-existing", {"pixel_codes": CODE, "consent": "hold", "use_existing_pixel": True}),
    ("no-page-view", {"pixel_codes": [CODE, CODE2], "auto_page_view": False}),
    ("limited-data-use", {"pixel_codes": CODE, "limited_data_use": True, "sdk_url": "/sdk.js"}),
]


def expected_calls(config: PixelConfig, calls: list[Call], *, first: bool = True) -> list[Call]:
    """What the runtime does with ``calls``, written out from its documented behaviour."""
    codes = list(config.pixel_codes)
    several = len(codes) > 1
    out: list[Call] = []
    if config.consent == "hold":
        out.append(Call("holdConsent"))
    if first and not config.use_existing_pixel:
        options = {"limited_data_use": True} if config.limited_data_use else {}
        for code in codes:
            out.append(Call("load", params=options, pixel_code=code))
            if config.auto_page_view:
                out.append(Call("page", pixel_code=code if several else None))
    for call in page_order(calls):
        for code in codes if several else [None]:
            out.append(dataclasses.replace(call, pixel_code=code))
    return out


def shop_calls() -> list[Call]:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.track("ViewContent", content_ids=["sku-1"], value=12.5, currency="EUR")
    page.identify(email=" Ann@Example.com ", phone_number="+44 7700 900123", city="London")
    page.track(
        "AddToCart",
        contents=[{"content_id": "sku-1", "content_name": "</script><b>", "price": 12.5}],
        value=25,
        currency="EUR",
        content_type="product",
        event_id="evt-1",
    )
    page.track("Search", query="mugs & cups", event_id="evt-2")
    return list(page.calls)


@pytest.mark.parametrize(("name", "settings_"), MODES, ids=[m[0] for m in MODES])
def test_calls_in_inverts_every_render_mode(name: str, settings_: dict[str, Any]) -> None:
    config = PixelConfig(**settings_)
    calls = shop_calls()
    html = html_page(str(render_calls(config, calls, nonce="n0nce")), "<p>hello</p>")
    read = calls_in(html)
    assert read == expected_calls(config, calls)
    assert isinstance(read, PageCalls)
    # the track/identify part is exactly what was queued, in page order
    tracked = [dataclasses.replace(c, pixel_code=None) for c in read.tracks + read.identifies]
    copies = max(len(config.pixel_codes), 1)
    assert len(tracked) == copies * len(calls)


@pytest.mark.parametrize(("name", "settings_"), MODES, ids=[m[0] for m in MODES])
def test_a_fragment_rendered_twice_loads_and_pages_once(
    name: str, settings_: dict[str, Any]
) -> None:
    config = PixelConfig(**settings_)
    first, second = shop_calls()[:2], shop_calls()[2:]
    head = str(render_calls(config, first)) + str(render_calls(config, second))
    assert calls_in(html_page(head)) == expected_calls(config, first) + expected_calls(
        config, second, first=False
    )


def test_several_pixels_become_one_call_per_pixel() -> None:
    config = PixelConfig(pixel_codes=[CODE, CODE2])
    read = calls_in(render_calls(config, [Call("track", "Lead", {"value": 1}, "e1")]))
    assert read.pixels == [CODE, CODE2]
    assert read.tracks == [
        Call("track", "Lead", {"value": 1}, "e1", CODE),
        Call("track", "Lead", {"value": 1}, "e1", CODE2),
    ]
    assert read.events == ["Lead", "Lead"]


def test_inline_fragments_run_before_data_blocks() -> None:
    inline = PixelConfig(pixel_codes=CODE)
    blocks = PixelConfig(pixel_codes=CODE, inline=False, runtime_url=RUNTIME)
    html = html_page(
        str(render_calls(blocks, [Call("track", "Search", {}, "a")]))
        + str(render_calls(inline, [Call("track", "Lead", {}, "b")]))
    )
    assert [c.method for c in calls_in(html)] == ["load", "page", "track", "track"]
    assert calls_in(html).events == ["Lead", "Search"]


def test_tiktoks_own_base_code_loaded_first_is_respected_by_the_guard() -> None:
    base_code = (
        "<script>!function (w, d, t) {w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];"
        "/* … */ ttq.load('" + CODE + "'); ttq.page();}(window, document, 'ttq');</script>"
    )
    ours = str(render_calls(PixelConfig(pixel_codes=[CODE, CODE2]), []))
    assert calls_in(html_page(base_code + ours)) == [
        Call("load", pixel_code=CODE2),
        Call("page", pixel_code=CODE2),
    ]
    # after ours, it does not stop our load (it is the validator's job to flag the double load)
    assert calls_in(html_page(ours + base_code)).pixels == [CODE, CODE2]


def test_scripts_that_never_run_are_ignored() -> None:
    fragment = str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "Lead", {}, "e")]))
    blocked = fragment.replace("<script>", '<script type="text/plain" data-consent="ads">')
    assert calls_in(html_page(blocked)) == []
    assert calls_in(html_page(f"<template>{fragment}</template>")) == []
    assert calls_in(html_page(f"<!-- {fragment} -->")) == []
    assert calls_in(fragment.removesuffix("</script>")) == []  # unclosed at EOF: never runs
    json_ld = '<script type="application/ld+json">{"@type": "Product"}</script>'
    assert calls_in(html_page(json_ld)) == []


def test_unrelated_pages_have_no_calls() -> None:
    head = heads(PixelConfig(pixel_codes=CODE)).inline
    html = html_page(f"<script>console.log({head!r})</script>", "<p>shop</p>")
    assert calls_in(html) == []
    assert calls_in("") == []


def test_a_damaged_fragment_is_an_error_not_silence() -> None:
    fragment = str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "Lead", {}, "e")]))
    with pytest.raises(PayloadError, match="not JSON"):
        calls_in(fragment.replace('"calls":', '"calls"'))
    with pytest.raises(PayloadError, match="pixels"):
        calls_in('<script type="application/json" data-tiktok-pixel>{"pixels": []}</script>')


# --- property: the round trip holds for arbitrary data ---------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
track_calls = st.builds(
    lambda event, params, event_id: Call("track", event, params, event_id),
    st.text(min_size=1, max_size=20),
    st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    st.none() | st.text(max_size=40),
)
identify_calls = st.builds(
    lambda fields: Call("identify", None, fields),
    st.dictionaries(st.sampled_from(["email", "phone_number", "city"]), st.text(), min_size=1),
)


@settings(max_examples=60, deadline=None)
@given(
    calls=st.lists(track_calls | identify_calls, max_size=5),
    mode=st.sampled_from(MODES),
)
def test_round_trip_property(calls: list[Call], mode: tuple[str, dict[str, Any]]) -> None:
    config = PixelConfig(**mode[1])
    html = html_page(str(render_calls(config, calls)))
    if config.use_existing_pixel and not calls:
        assert calls_in(html) == []  # nothing to hand over: nothing rendered
    else:
        assert calls_in(html) == expected_calls(config, calls)


# --- reading responses ------------------------------------------------------------------------


class DjangoLikeResponse:
    """The shape of django.http.HttpResponse that matters here: bytes ``content``, ``charset``."""

    def __init__(self, html: str, charset: str = "utf-8") -> None:
        self.content = html.encode(charset)
        self.charset = charset


class TextResponse:
    def __init__(self, html: str) -> None:
        self.text = html


def test_page_html_accepts_strings_bytes_and_responses() -> None:
    import flask
    from django.http import HttpResponse

    html = html_page(str(render_calls(PixelConfig(pixel_codes=CODE), [])), "café")
    app = flask.Flask(__name__)
    app.add_url_rule("/", "home", lambda: html)
    flask_response = app.test_client().get("/")
    django_responses = [
        HttpResponse(html, content_type=f"text/html; charset={charset}", charset=charset)
        for charset in ("utf-8", "latin-1")
    ]
    for source in (
        html,
        html.encode(),
        flask_response,
        *django_responses,
        DjangoLikeResponse(html),
        DjangoLikeResponse(html, "latin-1"),
        TextResponse(html),
    ):
        assert page_html(source) == html
        assert calls_in(source).pixels == [CODE]
    with pytest.raises(TypeError, match="get_data"):
        page_html(42)


def test_calls_already_read_are_accepted_as_they_are() -> None:
    read = calls_in(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "Lead", {}, "e")]))
    assert calls_in(read) is read
    assert calls_in(list(read)) == read
    assert_tracked(read, "Lead")


# --- assert_tracked ---------------------------------------------------------------------------


@pytest.fixture
def shop_page() -> str:
    return html_page(str(render_calls(PixelConfig(pixel_codes=CODE), shop_calls())))


def test_assert_tracked_matches_partially_and_returns_the_call(shop_page: str) -> None:
    call = assert_tracked(shop_page, "AddToCart", value=25, currency="EUR")
    assert call.event_id == "evt-1"
    assert_tracked(shop_page, "AddToCart", contents=[{"content_id": "sku-1"}])
    assert_tracked(shop_page, "AddToCart", contents=[{"content_name": "</script><b>"}])
    assert_tracked(shop_page, "AddToCart", value=25.0)  # numbers compare as numbers
    assert_tracked(shop_page, "Search", query="mugs & cups", event_id="evt-2")
    assert_tracked(shop_page, "Search", value=None)  # None: must be absent
    assert_tracked(shop_page, "ViewContent", content_ids=["sku-1"])


def test_assert_tracked_failure_names_the_differing_fields(shop_page: str) -> None:
    with pytest.raises(AssertionError) as info:
        assert_tracked(shop_page, "AddToCart", value=19.99, currency="EUR", contents=[{"price": 9}])
    message = str(info.value)
    assert "'AddToCart' with value=19.99" in message
    assert "value: expected 19.99, got 25" in message
    assert "contents[0].price: expected 9, got 12.5" in message
    differing = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(differing) == 2  # currency matched, so it is not reported
    # and it lists every call that was there
    for line in ("load C3MV4QR3G487IS97GFI0", "page", "identify email=", "track 'Search'"):
        assert line in message


def test_assert_tracked_failure_types_and_absence(shop_page: str) -> None:
    with pytest.raises(AssertionError, match=r'value: expected "25", got 25'):
        assert_tracked(shop_page, "AddToCart", value="25")  # a string is not the number
    with pytest.raises(AssertionError, match="description: missing"):
        assert_tracked(shop_page, "AddToCart", description="mug")
    with pytest.raises(AssertionError, match="query: expected absent"):
        assert_tracked(shop_page, "Search", query=None)
    with pytest.raises(AssertionError, match=r"contents: expected 2 item\(s\), got 1"):
        assert_tracked(shop_page, "AddToCart", contents=[{}, {}])
    with pytest.raises(AssertionError, match="event_id: expected 'other', got 'evt-1'"):
        assert_tracked(shop_page, "AddToCart", event_id="other")


def test_assert_tracked_when_the_event_is_missing(shop_page: str) -> None:
    with pytest.raises(AssertionError) as info:
        assert_tracked(shop_page, "Purchase")
    assert "'Purchase' was not tracked (tracked: 'AddToCart', 'Search', 'ViewContent')" in str(
        info.value
    )
    with pytest.raises(AssertionError, match="case-sensitive: did you mean 'AddToCart'"):
        assert_tracked(shop_page, "addToCart")
    with pytest.raises(AssertionError, match=r"tracked: nothing\)\ncalls on the page:\n  \(none"):
        assert_tracked("<p>no pixel</p>", "Lead")


def test_assert_tracked_pixel_code_on_several_pixels() -> None:
    html = str(render_calls(PixelConfig(pixel_codes=[CODE, CODE2]), [Call("track", "Lead", {})]))
    assert assert_tracked(html, "Lead", pixel_code=CODE2).pixel_code == CODE2
    with pytest.raises(AssertionError, match=f"pixel_code: expected '{CODE3}'"):
        assert_tracked(html, "Lead", pixel_code=CODE3)


def test_assert_not_tracked(shop_page: str) -> None:
    assert_not_tracked(shop_page, "Purchase")
    assert_not_tracked(shop_page, "AddToCart", value=26)
    with pytest.raises(
        AssertionError, match=r"'AddToCart' was tracked 1 time\(s\), expected never"
    ):
        assert_not_tracked(shop_page, "AddToCart")
    with pytest.raises(AssertionError, match="'Search' with query=\"mugs & cups\" was tracked"):
        assert_not_tracked(shop_page, "Search", query="mugs & cups")


# --- assert_identified ------------------------------------------------------------------------


def test_assert_identified_hashes_the_expected_values(shop_page: str) -> None:
    call = assert_identified(shop_page, email="ann@example.com")
    assert call.params["email"] == sha256_hex("ann@example.com")
    assert_identified(shop_page, email="  ANN@example.COM", phone_number="+447700900123")
    assert_identified(shop_page, phone_number="07700 900123", default_phone_region="GB")
    assert_identified(shop_page, city="LONDON")  # sent normalised, unhashed
    assert_identified(shop_page)  # there is an identify call


def test_assert_identified_failure_shows_no_raw_value(shop_page: str) -> None:
    with pytest.raises(AssertionError) as info:
        assert_identified(shop_page, email="bob@example.com", external_id="u-9")
    message = str(info.value)
    assert "email: expected '" + sha256_hex("bob@example.com")[:12] in message
    assert "external_id: missing" in message
    assert "bob@example.com" not in message and "u-9" not in message
    with pytest.raises(AssertionError, match="no identify call on the page"):
        assert_identified(render_calls(PixelConfig(pixel_codes=CODE), []), email="a@b.co")


def test_assert_identified_rejects_bad_expectations(shop_page: str) -> None:
    with pytest.raises(ValueError, match="the expected email cannot be identified"):
        assert_identified(shop_page, email="not-an-email")
    with pytest.raises(TypeError, match="unexpected field 'mail'"):
        assert_identified(shop_page, mail="a@b.co")


# --- assert_valid, format_call, the fixture object --------------------------------------------


def test_assert_valid(shop_page: str) -> None:
    assert assert_valid(shop_page) == []
    bad = html_page(str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "Purchase")])))
    with pytest.raises(AssertionError, match=r"\[value-missing\] 'Purchase' has no value"):
        assert_valid(bad)
    renamed = html_page(
        str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "SubmitForm", {}, "e")]))
    )
    assert [f.id for f in assert_valid(renamed)] == ["event-renamed"]
    with pytest.raises(AssertionError, match="event-renamed"):
        assert_valid(renamed, warnings=True)


def test_format_call() -> None:
    digest = sha256_hex("x")
    assert format_call(Call("identify", None, {"email": digest, "city": "paris"})) == (
        f'identify email="{digest[:8]}…", city="paris"'
    )
    assert format_call(Call("track", "Lead", {"value": 1}, "e", CODE)) == (
        f"track 'Lead' {{\"value\": 1}} event_id='e' @{CODE}"
    )
    assert format_call(Call("load", params={}, pixel_code=CODE)) == f"load {CODE} {{}}"
    assert format_call(Call("holdConsent")) == "holdConsent"


def test_pixel_calls_object_remembers_pages(shop_page: str) -> None:
    reader = PixelCalls()
    with pytest.raises(LookupError):
        _ = reader.last
    calls = reader(shop_page)
    assert reader.last is calls and reader.pages == [calls]
    reader.assert_tracked(calls, "AddToCart", value=25)
    assert reader.validate(shop_page) == []


# --- the pytest plugin, in a user's project ---------------------------------------------------

USER_TESTS = f'''
from tiktok_pixel import PageEvents, PixelConfig

def shop_page():
    page = PageEvents(PixelConfig(pixel_codes="{CODE}"))
    page.identify(email="ann@example.com")
    page.track("AddToCart", value=19.99, currency="EUR", contents=[{{"content_id": "mug"}}])
    return "<html><head>" + str(page.render()) + "</head><body></body></html>"

def test_reads_calls(tiktok_pixel_calls):
    calls = tiktok_pixel_calls(shop_page())
    assert calls.events == ["AddToCart"]
    assert tiktok_pixel_calls.last is calls
    tiktok_pixel_calls.assert_tracked(
        calls, "AddToCart", value=19.99, contents=[{{"content_id": "mug"}}]
    )
    tiktok_pixel_calls.assert_identified(shop_page(), email="Ann@Example.com")
    tiktok_pixel_calls.assert_valid(shop_page())

def test_reports_the_difference(tiktok_pixel_calls):
    tiktok_pixel_calls.assert_tracked(shop_page(), "AddToCart", value=20)
'''


def test_plugin_fixture_works_in_a_users_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=USER_TESTS)
    # a fresh process, no conftest: the fixture comes from the pytest11 entry point
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*'AddToCart' with value=20 was not tracked*", "*- value: expected 20, got 19.99*"]
    )


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_shop=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:tiktok_pixel", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*fixture 'tiktok_pixel_calls' not found*"])
