"""``check --browser`` on the page corpus: it reports exactly what Chromium's ``ttq`` received.

The corpus (``tests/data/pages``, plus pages of our fragments rendered here) is checked once by
``python -m tiktok_pixel check --browser`` in a subprocess. Each page is then opened again
through the test suite's own Playwright (``tests/browser.py``, whose events.js stand-in leaves
the queues alone) and the queues are read: the calls ``check`` reports must be those queued,
pixel by pixel and in order, and the loads those ``_o`` recorded. Static ``check`` must agree
wherever it claims to have read a call (its calls are a subsequence of the browser's).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser import ORIGIN, Site, chromium_path, html_page, open_site
from tests.conftest import CODE, CODE2
from tests.page_corpus import page_text, write_corpus
from tiktok_pixel import Call, PixelConfig, render_calls, sha256_hex
from tiktok_pixel.foreign_calls import to_call
from tiktok_pixel.page_report import check_static

pytestmark = pytest.mark.browser

RUNTIME = Path(__file__).parent.parent.parent / "static" / "tiktok_pixel.js"

CALLS = [
    Call("identify", None, {"email": sha256_hex("ann@example.com")}),
    Call("track", "AddToCart", {"value": 12.5, "currency": "EUR"}, "evt-1"),
]
BASE_CODE = page_text("two_pixels.html").split("<script>")[1].split("</script>")[0]
BASE_CODE = BASE_CODE.replace(
    BASE_CODE[BASE_CODE.index("  ttq.load('") : BASE_CODE.index("}(window")],
    f"  ttq.load('{CODE}');\n  ttq.page();\n",
)


def fragment(config: PixelConfig) -> str:
    return str(render_calls(config, CALLS))


#: Pages of our own fragments, one per mode.
FRAGMENT_PAGES = {
    "fragment_inline.html": html_page(fragment(PixelConfig(pixel_codes=CODE))),
    "fragment_no_inline.html": html_page(
        fragment(PixelConfig(pixel_codes=CODE, inline=False, runtime_url="/tiktok_pixel.js"))
    ),
    "fragment_two_pixels.html": html_page(fragment(PixelConfig(pixel_codes=[CODE, CODE2]))),
    "fragment_hold.html": html_page(fragment(PixelConfig(pixel_codes=CODE, consent="hold"))),
    "fragment_existing.html": html_page(
        f"<script>{BASE_CODE}</script>"
        + fragment(PixelConfig(pixel_codes=CODE, use_existing_pixel=True))
    ),
}

#: Globals to read queues from (the two_names page installs a second one).
GLOBALS = ("ttq", "tiktokPixel")
READ = """(names) => {
  const plain = (a) => JSON.parse(JSON.stringify(Array.from(a)));
  const out = [];
  for (const name of names) {
    const q = window[name];
    if (!q) continue;
    const instances = {};
    for (const code of Object.keys(q._i || {})) instances[code] = plain(q._i[code]);
    out.push({main: plain(q), instances, options: q._o || {}});
  }
  return out;
}"""

#: page -> rule ids ``check --browser`` must report (exactly).
EXPECTED_RULES = {
    "base_code_right.html": [],
    "base_code_wrong.html": [
        "currency-unsupported",
        "not-a-number",
        "event-renamed",
        "currency-missing",
        "not-a-number",
        "event-id-not-string",
    ],
    "call_before_loader.html": ["call-before-loader"],
    "csp_blocks_base_code.html": ["pixel-missing", "csp-blocks-pixel"],
    "csp_blocks_sdk.html": ["csp-blocks-pixel"],
    "sdk_twice.html": ["sdk-requested-twice"],
    "tag_manager.html": [],
    "two_names.html": ["pixel-loaded-under-two-names"],
    "two_pixels.html": [],
    **{name: [] for name in FRAGMENT_PAGES},
}
#: Pages whose every call static check reads (no external script, no CSP, no early call).
STATIC_READS_ALL = {
    "base_code_right.html",
    "two_pixels.html",
    "sdk_twice.html",
    "csp_blocks_sdk.html",
    "two_names.html",
    *FRAGMENT_PAGES,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_corpus(tmp_path_factory.mktemp("pages"))
    for name, html in FRAGMENT_PAGES.items():
        (folder / name).write_text(html, encoding="utf-8")
    shutil.copy(RUNTIME, folder / "tiktok_pixel.js")
    return folder


def check(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", "check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def reported(corpus: Path) -> dict[str, dict[str, Any]]:
    if not chromium_path():
        pytest.skip("no chromium")
    names = sorted(EXPECTED_RULES)
    result = check(
        "--browser", "--settle", "2", "--format", "json", *(str(corpus / n) for n in names)
    )
    assert result.returncode == 1, result.stderr  # some pages break error-level rules
    assert result.stderr == ""
    pages = json.loads(result.stdout)["pages"]
    return {Path(page["source"]).name: page for page in pages}


def received(browser: Any, corpus: Path, name: str) -> list[dict[str, Any]]:
    """What the page's ttq queues hold in Chromium, read by the test suite's own harness."""
    site = Site()
    for item in corpus.iterdir():
        kind = "application/javascript" if item.suffix == ".js" else "text/html"
        site.add("/" + item.name, item.read_bytes(), kind)
    page = open_site(browser, site)
    try:
        page.goto(f"{ORIGIN}/{name}")
        if name == "tag_manager.html":
            page.wait_for_function("window.tagManagerDone === true", timeout=30_000)
        if name == "fragment_no_inline.html":
            page.wait_for_function("window.ttq && window.ttq._i", timeout=30_000)
        return page.evaluate(READ, list(GLOBALS))
    finally:
        page.context.close()


def calls_of(page: dict[str, Any]) -> list[Call]:
    return [Call.from_dict(call) for call in page["calls"]]


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_check_browser_reports_what_ttq_received(
    name: str, reported: dict[str, dict[str, Any]], browser: Any, corpus: Path
) -> None:
    calls = calls_of(reported[name])
    queues = received(browser, corpus, name)
    loads = sorted(
        json.dumps([code, options], sort_keys=True)
        for queue in queues
        for code, options in queue["options"].items()
    )
    assert (
        sorted(
            json.dumps([c.pixel_code, c.params], sort_keys=True)
            for c in calls
            if c.method == "load"
        )
        == loads
    )
    expected: dict[str | None, list[Call]] = {}
    for queue in queues:
        expected.setdefault(None, []).extend(to_call(e[0], e[1:]) for e in queue["main"])
        for code, entries in queue["instances"].items():
            expected.setdefault(code, []).extend(to_call(e[0], e[1:], code) for e in entries)
    got: dict[str | None, list[Call]] = {}
    for call in calls:
        if call.method != "load":
            got.setdefault(call.pixel_code, []).append(call)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_check_browser_reports_the_rules(name: str, reported: dict[str, dict[str, Any]]) -> None:
    assert [f["rule"] for f in reported[name]["findings"]] == EXPECTED_RULES[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_RULES))
def test_static_check_agrees_where_it_reads(
    name: str, reported: dict[str, dict[str, Any]], corpus: Path
) -> None:
    static = check_static(name, (corpus / name).read_text(encoding="utf-8"))
    browser_calls = calls_of(reported[name])
    remaining = iter(browser_calls)
    assert all(call in remaining for call in static.calls), (static.calls, browser_calls)
    if name in STATIC_READS_ALL:
        assert static.calls == browser_calls
        assert static.unread == []
    else:  # it says what it did not read, or the calls come from a script it does not see
        assert static.unread or static.calls != browser_calls


def test_our_fragments_give_the_same_calls_in_the_browser_and_statically(
    reported: dict[str, dict[str, Any]],
) -> None:
    inline = calls_of(reported["fragment_inline.html"])
    assert [c.method for c in inline] == ["load", "page", "identify", "track"]
    assert calls_of(reported["fragment_no_inline.html"]) == inline
    assert calls_of(reported["fragment_hold.html"])[0].method == "holdConsent"
    two = calls_of(reported["fragment_two_pixels.html"])
    assert {c.pixel_code for c in two} == {CODE, CODE2}


def test_a_pixel_injected_after_load_is_seen(reported: dict[str, dict[str, Any]]) -> None:
    calls = calls_of(reported["tag_manager.html"])
    assert [(c.method, c.event) for c in calls] == [
        ("load", None),
        ("page", None),
        ("track", "Lead"),
    ]


def test_a_hostile_page_is_reported_not_a_traceback(corpus: Path) -> None:
    result = check("--browser", "--settle", "0.5", "--format", "json", str(corpus / "hostile.html"))
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    (page,) = json.loads(result.stdout)["pages"]
    events = [call.get("event") for call in page["calls"] if call["method"] == "track"]
    assert events[:2] == ["Deep", "Loop"] and events.count("Many") == 20
    assert "currency-unsupported" in [f["rule"] for f in page["findings"]]
    loop = page["calls"][3]
    assert loop["params"] == {"value": 1, "currency": "EUR", "self": None}


def test_junit_has_a_failing_case_per_broken_page(corpus: Path) -> None:
    import xml.etree.ElementTree as ET

    pages = [str(corpus / "base_code_right.html"), str(corpus / "sdk_twice.html")]
    result = check("--browser", "--settle", "0.2", "--format", "junit", *pages)
    assert result.returncode == 1, result.stderr
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    right, twice = suite.findall("testcase")
    assert right.find("failure") is None
    failure = twice.find("failure")
    assert failure is not None and failure.get("type") == "sdk-requested-twice"
