"""The XSS corpus (``tests/data/xss_payloads.txt``) through the demo shop in Chromium.

Every payload is typed as a search query and served as a product's name, brand, category and
description (a hostile catalogue loaded with ``DEMO_CATALOGUE``). On each page, under the shop's
strict nonce CSP, nothing injected may run (``window.__xss`` stays undefined, no dialog, no page
error, no CSP violation) and the value must arrive byte for byte in the live ``ttq`` queue, in the
pixel inspector's record of it, and in the page text wherever the page shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import tiktok_pixel.fragment
from demo_site import create_app
from tests.browser import read_queues
from tests.demo_site.conftest import Shop, open_shop, serve

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss_payloads.txt"
PRICE = 9.99
#: How long a page may take to show an injected effect that needs an event (onerror, onfocus…)
#: after it loaded: image and frame errors from 127.0.0.1 arrive well within this.
SETTLE_MS = 60
#: The loader runs as soon as the page parsed; a page whose loader has not run by then never will.
LOADER_TIMEOUT_MS = 2_000


def load_payloads(path: Path = CORPUS) -> list[str]:
    """The corpus's payloads. Split on "\\n" only: two payloads hold U+2028/U+2029, which
    ``str.splitlines`` would treat as line ends."""
    text = path.read_bytes().decode("utf-8")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return [line for line in lines if line and not line.startswith("# ")]


PAYLOADS = load_payloads()


def product_id(index: int) -> str:
    return f"xss-{index:02d}"


def hostile_catalogue(payloads: list[str]) -> dict[str, Any]:
    """One product per payload, the payload in every text field a page shows or tracks."""
    return {
        "currency": "EUR",
        "products": [
            {
                "id": product_id(i),
                "name": payload,
                "brand": payload,
                "category": payload,
                "price": PRICE,
                "colour": "#888888",
                "shape": "mug",
                "description": payload,
            }
            for i, payload in enumerate(payloads)
        ],
    }


@pytest.fixture(scope="module")
def hostile_shop() -> Iterator[Shop]:
    yield from serve(create_app({"DEMO_CATALOGUE": hostile_catalogue(PAYLOADS)}))


class Probe:
    """A tab on the shop (only the shop reachable) that records every sign of injected code
    running: page errors, dialogs, CSP violations, ``__xss``, a navigation away."""

    def __init__(self, browser: Any, shop: Shop) -> None:
        self.shop = shop
        self.page = open_shop(browser, shop, real_standin=False)
        self.page.set_default_timeout(5_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e =>"
            " (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI),"
            " true);"
        )

    def _dialog(self, dialog: Any) -> None:
        self.errors.append(f"dialog: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def visit(self, path: str) -> list[str]:
        """Load ``path``, let it settle; the problems seen (empty when the page is clean)."""
        self.errors.clear()
        response = self.page.goto(self.shop.url + path, wait_until="load")
        url = self.page.url
        problems = []
        csp = response.headers.get("content-security-policy", "")
        if "script-src 'nonce-" not in csp or "unsafe-inline" in csp:
            problems.append(f"no strict nonce CSP on {path}: {csp!r}")
        try:
            self.page.wait_for_function(
                "() => (window.__sdkRuns || []).length === 1", timeout=LOADER_TIMEOUT_MS
            )
        except PlaywrightTimeoutError:  # the loader never ran: its script was broken
            problems.append("the pixel loader did not run")
        self.page.wait_for_timeout(SETTLE_MS)
        ran = self.page.evaluate(
            "() => [typeof window.__xss, typeof window.parent.__xss, window.__csp || []]"
        )
        if ran[0] != "undefined" or ran[1] != "undefined":
            problems.append(f"injected code ran: window.__xss is {ran[0]}")
        problems += [f"CSP violation: {v}" for v in ran[2]]
        if self.page.url != url:  # an injected meta refresh, base or form would navigate
            problems.append(f"the page navigated to {self.page.url!r}")
        problems += self.errors
        self.errors.clear()
        return problems

    def close(self) -> None:
        self.page.context.close()

    def tracks(self) -> list[list[Any]]:
        queues = read_queues(self.page) or {"main": []}
        return [call for call in queues["main"] if call[0] == "track"]

    def inspector_tracks(self) -> list[list[Any]]:
        """The tracks the inspector recorded as they were pushed onto ``ttq``."""
        calls = self.page.evaluate(
            "() => (window.__pixelInspector ? window.__pixelInspector.calls : [])"
            ".map(c => c.call).filter(c => c[0] === 'track')"
        )
        return list(calls)

    def text(self, selector: str, attribute: str | None = None) -> str | None:
        """``textContent`` (not ``innerText``: no whitespace folding) or ``attribute`` of the
        first match; ``None`` when nothing matches (no waiting: the page has loaded)."""
        return self.page.evaluate(
            "([s, a]) => { const e = document.querySelector(s);"
            " return e ? (a ? e.getAttribute(a) : e.textContent) : null; }",
            [selector, attribute],
        )


def mismatches(shown: dict[str, tuple[str | None, str]]) -> list[str]:
    """``{what: (shown on the page, expected)}`` -> one problem per difference."""
    return [f"page {k}: {got!r} != {want!r}" for k, (got, want) in shown.items() if got != want]


def check_search(probe: Probe, index: int, payload: str) -> list[str]:
    """The payload as a search query: Products Searched -> ttq.track("Search", {query})."""
    problems = probe.visit("/search?q=" + quote(payload, safe=""))
    tracks = probe.tracks()
    queries = [call[2].get("query") for call in tracks if call[1] == "Search"]
    if queries != [payload]:
        problems.append(f"queue: Search queries {queries!r}, expected [{payload!r}]")
    if probe.inspector_tracks() != tracks:
        problems.append("inspector recorded other tracks than the queue holds")
    shown = {
        "title": (probe.text("title"), f"Search: {payload} · Hearth & Field"),
        "heading": (probe.text("main h1"), f"Results for “{payload}”"),
        "search box": (probe.page.evaluate("() => document.getElementById('q').value"), payload),
        # every word of the query is in its own product's text, so that product is listed
        "result card": (
            probe.text(f'a[href="/p/{product_id(index)}"] .card-name'),
            payload,
        ),
    }
    problems += mismatches(shown)
    return problems


def check_product(probe: Probe, index: int, payload: str) -> list[str]:
    """The payload as a product's fields: ttq.track("ViewContent", {contents: [...]})."""
    problems = probe.visit(f"/p/{product_id(index)}")
    tracks = probe.tracks()
    expected = {
        "content_id": product_id(index),
        "content_name": payload,
        "content_category": payload,
        "brand": payload,
        "price": PRICE,
        "quantity": 1,
    }
    contents = [call[2].get("contents") for call in tracks if call[1] == "ViewContent"]
    if contents != [[expected]]:
        problems.append(f"queue: ViewContent contents {contents!r}, expected [[{expected!r}]]")
    if probe.inspector_tracks() != tracks:
        problems.append("inspector recorded other tracks than the queue holds")
    shown = {
        "title": (probe.text("title"), f"{payload} · Hearth & Field"),
        "name": (probe.text(".product-info h1"), payload),
        "brand": (probe.text(".product-info .card-brand"), payload),
        "description": (probe.text(".product-info h1 ~ p:not(.price)"), payload),
        "breadcrumb": (probe.text(".crumbs span"), payload),
        "category link": (probe.text(".crumbs a:nth-of-type(2)"), payload),
        "image alt": (probe.text("img.product-image", "alt"), payload),
    }
    problems += mismatches(shown)
    return problems


def check_payload(probe: Probe, index: int) -> list[str]:
    """Everything wrong with payload ``index`` on the search page and its product's page."""
    payload = PAYLOADS[index]
    return [
        *(f"search: {p}" for p in check_search(probe, index, payload)),
        *(f"product: {p}" for p in check_product(probe, index, payload)),
    ]


@pytest.fixture(scope="module")
def probe(browser: Any, hostile_shop: Shop) -> Iterator[Probe]:
    """One tab for the whole corpus (a fresh document per navigation; it saves ~0.4 s a payload
    over a fresh browser context each)."""
    tab = Probe(browser, hostile_shop)
    yield tab
    tab.close()


def test_the_corpus_has_every_payload() -> None:
    assert len(PAYLOADS) == 61 == len(set(PAYLOADS))
    assert "\u2028window.__xss=1//" in PAYLOADS and "\u2029window.__xss=1//" in PAYLOADS
    # all but a template-syntax probe and a benign mixed-text line try to set __xss
    assert sum("__xss=1" in p for p in PAYLOADS) == 59
    # the search box keeps it all (it trims ASCII whitespace and cuts at 200 characters)
    assert all(p == p.strip(" \t\n\r\f") and len(p) <= 200 for p in PAYLOADS)


@pytest.mark.parametrize(
    "index", range(len(PAYLOADS)), ids=[f"{i:02d}:{p[:24]!r}" for i, p in enumerate(PAYLOADS)]
)
def test_payload_runs_nowhere_and_arrives_intact(probe: Probe, index: int) -> None:
    problems = check_payload(probe, index)
    assert problems == [], f"payload {PAYLOADS[index]!r}:\n" + "\n".join(problems)


def test_the_checks_fail_when_the_escaping_is_broken(
    browser: Any, hostile_shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sanity check of the checks: with plain ``json.dumps`` in place of ``script_json``, a
    script breakout closes the pixel's ``<script>`` early; the CSP blocks the injected script
    (defence in depth), and the probe sees the violation, the broken loader and the lost call."""
    monkeypatch.setattr(tiktok_pixel.fragment, "script_json", json.dumps)
    index = PAYLOADS.index("</script><script>window.__xss=1</script>")
    fresh = Probe(browser, hostile_shop)
    try:
        problems = check_payload(fresh, index)
    finally:
        fresh.close()
    assert any(p.startswith("search: CSP violation: script-src") for p in problems), problems
    assert any(p.startswith("search: page error: ") for p in problems), problems
    assert any(p.startswith("search: queue: Search queries []") for p in problems), problems
    assert any(p.startswith("product: CSP violation: script-src") for p in problems), problems
