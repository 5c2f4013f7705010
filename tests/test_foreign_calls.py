"""tiktok_pixel.foreign_calls: literal ttq calls read from scripts we did not render."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import html_page
from tests.conftest import CODE, CODE2
from tiktok_pixel import Call, PixelConfig, render_calls
from tiktok_pixel.foreign_calls import page_calls, read_script
from tiktok_pixel.pagescan import scan

BASE = (
    "!function (w, d, t) {w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];"
    "ttq.methods=['page','track'];ttq.setAndDefer=function(t,e){t[e]=function(){"
    "t.push([e].concat([].slice.call(arguments,0)))}};"
    "ttq.load=function(e,n){var r='https://analytics.tiktok.com/i18n/pixel/events.js';"
    "ttq._i=ttq._i||{},ttq._i[e]=[];};"
    "ttq.load('" + CODE + "');ttq.page();}(window, document, 'ttq');"
)


def calls(text: str) -> list[Call]:
    found, unread = read_script(text)
    assert unread == []
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ttq.track('Lead')", ["track", "Lead", {}, None]),
        ('ttq.track("Lead", {value: 1, currency: "EUR"})', ["track", "Lead", {"value": 1}, None]),
        ("window.ttq.track('A', {'quoted key': 'x', n: -2.5e1,}, {event_id: 'e'})", None),
        ("ttq.track(`Lead`, {a: [1, 'two', null, true, false,], b: {c: {}}})", None),
    ],
)
def test_literal_arguments_are_read(text: str, expected: list[Any] | None) -> None:
    (call,) = calls(text)
    assert call.method == "track"
    if expected:
        assert call.event == expected[1]
        assert expected[2].items() <= call.params.items()


def test_values_are_read_as_json_would_have_them() -> None:
    (call,) = calls(
        "ttq.track('A', {a: 'it\\'s \\u00e9\\x41\\n', b: 1.0, c: 0x10, d: undefined, "
        "e: [undefined, , 3], f: -0.5, g: 1_000, 'h-i': .5}, {event_id: 'evt'})"
    )
    assert call.params == {
        "a": "it's éA\n",
        "b": 1,
        "c": 16,
        "e": [None, None, 3],
        "f": -0.5,
        "g": 1000,
        "h-i": 0.5,
    }
    assert isinstance(call.params["b"], int)
    assert call.event_id == "evt"


def test_the_base_code_is_read_but_not_its_function_bodies() -> None:
    found, unread = read_script(BASE.replace("ttq._i[e]=[];", "ttq._i[e]=[];ttq.track('Inside');"))
    assert found == [Call("load", None, {}, None, CODE), Call("page")]
    assert [item.text for item in unread] == ["ttq.track('Inside')"]


def test_load_options_and_instances() -> None:
    text = (
        f"ttq.load('{CODE}', {{limited_data_use: true}}); ttq.instance('{CODE2}').track('X');"
        f"ttq.track('Y', {{}}, {{pixel_code: '{CODE2}'}})"
    )
    assert calls(text) == [
        Call("load", None, {"limited_data_use": True}, None, CODE),
        Call("track", "X", {}, None, CODE2),
        Call("track", "Y", {}, None, CODE2),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("ttq.track('Purchase', order)", "arguments are not literals"),
        ("ttq.track('A', {value: price * 2})", "arguments are not literals"),
        ("ttq.track('A', {value})", "arguments are not literals"),
        ("ttq.track('A', {...base})", "arguments are not literals"),
        ("ttq.track(`Lead ${n}`)", "arguments are not literals"),
        ("if (ok) ttq.track('Lead')", "inside a function, condition or expression"),
        ("if (ok) { ttq.track('Lead') }", "inside a function, condition or expression"),
        ("ok && ttq.track('Lead')", "inside a function, condition or expression"),
        (
            "button.onclick = function () { ttq.track('Lead') }",
            "inside a function, condition or expression",
        ),
        ("setTimeout(() => ttq.track('Lead'), 10)", "inside a function, condition or expression"),
        ("ttq.instance(code).track('Lead')", "the pixel code"),
        ("ttq.track('A', " + "[" * 100 + "]" * 100 + ")", "arguments are not literals"),
    ],
)
def test_calls_that_cannot_be_read_are_named(text: str, reason: str) -> None:
    found, unread = read_script("var x = 1;\n" + text)
    assert found == []
    assert len(unread) == 1
    assert unread[0].reason == reason
    assert unread[0].line == 2
    assert unread[0].text.startswith("ttq.")


def test_strings_comments_regexes_and_templates_do_not_confuse_it() -> None:
    text = (
        "var s = \"ttq.track('NotACall')\"; // ttq.track('Comment')\n"
        "/* ttq.track('Block') */ var r = /ttq.track\\('Regex'\\)/g; var t = `ttq.track('T')`;\n"
        "var q = a / b / c; ttq.track('Real', {re: 'x'});"
    )
    assert [call.event for call in calls(text)] == ["Real"]


def test_statements_without_semicolons() -> None:
    text = "var a = b\nttq.track('A')\nfoo()\nttq.track('B')\nvar c = [1]\nttq.page()\n"
    assert [call.method for call in calls(text)] == ["track", "track", "page"]
    found, unread = read_script("if (ok)\n  ttq.track('No')\nelse\n  ttq.track('Nor')")
    assert found == [] and len(unread) == 2


def test_iife_bodies_are_top_level() -> None:
    text = (
        "(function () { ttq.track('A'); })();"
        "(function () { ttq.track('B'); }());"
        "(() => { ttq.track('C'); })();"
        "function later() { ttq.track('Never'); }"
    )
    found, unread = read_script(text)
    assert [call.event for call in found] == ["A", "B", "C"]
    assert [item.text for item in unread] == ["ttq.track('Never')"]


def test_other_global_names_of_the_base_code() -> None:
    text = BASE.replace("'ttq');", "'tiktokPixel');") + "tiktokPixel.track('Lead');"
    assert [call.method for call in calls(text)] == ["load", "page", "track"]
    assert calls("foo.ttq.track('X'); other.track('Y')") == []


def test_hostile_scripts_never_raise() -> None:
    for text in (
        "ttq.track(" * 5000,
        "ttq.track('A', " + "{a:" * 5000,
        "ttq.track('A', '" + "\\" * 101,
        "`${" * 3000 + "ttq",
        "/" * 1000 + "ttq.track(",
        "ttq.track('A', {a: 1}" + ")" * 1000,
        "\x00ttq\ud800.track('x')",
    ):
        read_script(text)


# --- pages: our fragments, base code and hand-written calls in the order they run ---------------


def fragment(config: PixelConfig | None = None, calls: list[Call] | None = None) -> str:
    return str(
        render_calls(config or PixelConfig(pixel_codes=CODE), calls or [Call("track", "Lead")])
    )


def test_a_page_with_base_code_and_our_fragment_in_the_existing_mode() -> None:
    html = html_page(
        f"<script>{BASE}</script>"
        + fragment(PixelConfig(pixel_codes=CODE, use_existing_pixel=True))
        + "<script>ttq.track('ViewContent', {content_id: 'a'})</script>"
    )
    page, _ = scan(html)
    found, unread = page_calls(page)
    assert unread == []
    assert [(call.method, call.event) for call in found] == [
        ("load", None),
        ("page", None),
        ("track", "Lead"),
        ("track", "ViewContent"),
    ]


def test_our_fragment_after_base_code_does_not_load_again() -> None:
    page, _ = scan(html_page(f"<script>{BASE}</script>" + fragment()))
    found, _ = page_calls(page)
    assert [call.method for call in found] == ["load", "page", "track"]


def test_a_call_before_any_loader_is_not_claimed() -> None:
    page, _ = scan(html_page("<script>ttq.track('Early')</script>" + f"<script>{BASE}</script>"))
    found, unread = page_calls(page)
    assert [call.method for call in found] == ["load", "page"]
    assert "no loader has defined ttq" in unread[0].reason


@pytest.mark.parametrize(
    ("policy", "nonce", "claimed"),
    [
        ("script-src 'self'", None, False),
        ("default-src 'none'", None, False),
        ("script-src 'unsafe-inline'", None, True),
        ("script-src 'unsafe-inline' 'nonce-abc'", None, False),
        ("script-src 'nonce-abc'", "abc", True),
        ("img-src 'self'", None, True),
    ],
)
def test_a_csp_that_blocks_the_script_is_respected(
    policy: str, nonce: str | None, claimed: bool
) -> None:
    attr = f' nonce="{nonce}"' if nonce else ""
    html = html_page(
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        f"<script{attr}>{BASE}</script>"
    )
    from tiktok_pixel.page_report import check_static

    report = check_static("page", html)
    assert bool(report.calls) is claimed
    assert bool(report.unread) is not claimed
