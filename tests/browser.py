"""Headless Chromium for the browser tests, driven by Playwright through ``executable_path``.

No browser is ever downloaded: we use Debian's ``chromium`` (``apt-get install chromium``) or
the binary named by ``TIKTOK_PIXEL_CHROMIUM``. Every request is intercepted: pages are served
from memory under ``http://shop.test``, TikTok's hosts get a local stand-in, and anything else
is aborted, so no test can reach the internet.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tiktok_pixel.browser_check import CHROMIUM_ARGS

ORIGIN = "http://shop.test"
TIKTOK_HOSTS = ("analytics.tiktok.com", "analytics.us.tiktok.com")

#: Stand-in for events.js: records that it ran (and with which URL) but leaves the queues alone,
#: so tests can read exactly what the page queued.
SDK_STANDIN = "(window.__sdkRuns = window.__sdkRuns || []).push(document.currentScript.src);"


READ_QUEUES = """() => {
  const q = window.ttq;
  if (!q) return null;
  const plain = (a) => JSON.parse(JSON.stringify(Array.from(a)));
  const inst = {};
  for (const code of Object.keys(q._i || {})) inst[code] = plain(q._i[code]);
  return {main: plain(q), instances: inst, options: q._o || {}, methods: q.methods || null};
}"""


def chromium_path() -> str | None:
    """The Chromium binary to drive, or ``None`` when this machine has none."""
    explicit = os.environ.get("TIKTOK_PIXEL_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Site:
    """An in-memory site: ``pages`` maps a path to (content type, body); requests are logged."""

    pages: dict[str, tuple[str, str | bytes, dict[str, str]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    sdk_body: str = SDK_STANDIN

    def add(
        self,
        path: str,
        body: str | bytes,
        content_type: str = "text/html",
        headers: dict[str, str] | None = None,
    ) -> str:
        self.pages[path] = (content_type, body, headers or {})
        return ORIGIN + path

    def sdk_requests(self) -> list[str]:
        return [url for url in self.requests if "/i18n/pixel/events.js" in url]


def launch_browser() -> Iterator[Any]:
    """Yield a Playwright Browser; skip (or fail under CI=true) when Chromium is missing."""
    path = chromium_path()
    if not path or not os.path.exists(path):
        message = "no chromium binary (apt-get install chromium, or set TIKTOK_PIXEL_CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("browser tests must run in CI: " + message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_site(browser: Any, site: Site) -> Any:
    """A new page whose every request is answered by ``site`` or the TikTok stand-in."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)  # waits poll for a condition: generous under load

    def handle(route: Any) -> None:
        url = route.request.url
        site.requests.append(url)
        host = url.split("/")[2]
        if host in TIKTOK_HOSTS:
            route.fulfill(status=200, content_type="application/javascript", body=site.sdk_body)
            return
        if url.startswith(ORIGIN):
            path = "/" + url[len(ORIGIN) :].lstrip("/")
            path = path.split("?")[0]
            if path in site.pages:
                content_type, body, headers = site.pages[path]
                route.fulfill(status=200, content_type=content_type, body=body, headers=headers)
                return
            route.fulfill(status=404, body="not found")
            return
        route.abort()

    context.route("**/*", handle)
    return page


def read_queues(page: Any) -> dict[str, Any] | None:
    """The page's ``window.ttq`` queue, its per-pixel queues and load options, as plain data."""
    return page.evaluate(READ_QUEUES)


def html_page(head: str, body: str = "") -> str:
    return f"<!doctype html><html><head><meta charset=utf-8>{head}</head><body>{body}</body></html>"


def watch_errors(page: Any) -> list[str]:
    """Collect uncaught page errors and CSP violations into a list the test can assert empty."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective));"
    )
    return errors


def csp_violations(page: Any) -> list[str]:
    return page.evaluate("() => window.__cspViolations || []")
