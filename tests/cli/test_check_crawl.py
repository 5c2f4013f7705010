"""``check --crawl N``: a local multi-page site on 127.0.0.1, statically and in Chromium."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.browser import chromium_path, html_page
from tests.conftest import CODE
from tiktok_pixel import Call, PixelConfig, render_calls
from tiktok_pixel.crawl import Progress, links


def pixel(event: str) -> str:
    return str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", event)]))


def page(event: str, *hrefs: str) -> str:
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in hrefs)
    return html_page(pixel(event), anchors)


class Site(http.server.BaseHTTPRequestHandler):
    """/ -> /a, /b, /private/x, an off-site link; /a -> / (a loop), /c; /b -> /a#top, /c?x."""

    pages: ClassVar[dict[str, str]] = {
        "/": page("ViewContent", "/a", "b", "/private/x", "http://offsite.invalid/shop"),
        "/a": page("AddToCart", "/", "/c", "mailto:shop@example.com", "/logo.png"),
        "/b": page("ViewContent", "/a#top", "javascript:void(0)"),
        "/c": page("SubmitForm", "/", "/feed"),
        "/private/x": page("Purchase"),
    }
    requested: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requested.append(self.path)
        port = self.server.server_address[1]
        if self.path == "/robots.txt":
            body = b"User-agent: *\nDisallow: /private/\n"
            kind = "text/plain"
        elif self.path == "/third":  # a script from another host (localhost, not 127.0.0.1)
            head = (
                pixel("ViewContent") + f'<script src="http://localhost:{port}/third.js"></script>'
            )
            body = html_page(head).encode()
            kind = "text/html"
        elif self.path == "/feed":  # linked from /c: not a page
            body = b"<rss></rss>"
            kind = "application/rss+xml"
        elif self.path == "/third.js":
            body = b"ttq.track('FromThirdParty');"
            kind = "application/javascript"
        elif self.path.split("?")[0] in self.pages:
            body = self.pages[self.path.split("?")[0]].encode()
            kind = "text/html; charset=utf-8"
        else:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Site.requested.clear()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", "check", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_links_are_same_origin_pages_without_fragments() -> None:
    html = '<base href="/shop/"><a href="x">x</a><a href="/y#z"></a><a href="x"></a>'
    html += '<a href="https://other.test/">o</a><a href="/f.pdf">f</a><area href="z">'
    assert links(html, "http://site.test/") == [
        "http://site.test/shop/x",
        "http://site.test/y",
        "http://site.test/shop/z",
    ]


def test_crawl_follows_links_breadth_first_within_the_site(site: str) -> None:
    result = check("--crawl", "10", "--crawl-delay", "0", "--format", "json", site + "/")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    visited = [p["source"] for p in report["pages"]]
    assert visited == [site + "/", site + "/a", site + "/b", site + "/c"]
    assert "/private/x" not in Site.requested  # robots.txt
    assert Site.requested.count("/robots.txt") == 1
    assert Site.requested.count("/") == 1  # the loop back to / is not followed again
    assert "/logo.png" not in Site.requested
    assert "/feed" in Site.requested  # fetched, then skipped: not HTML
    assert result.stderr == f"tiktok-pixel check: skipped {site}/feed: not an HTML page\n"
    assert report["summary"] == {
        "pages": 4,
        "calls": {"AddToCart": 1, "SubmitForm": 1, "ViewContent": 2, "load": 4, "page": 4},
        "findings": {"event-renamed": 1},
    }


def test_crawl_stops_at_n_pages_and_prints_a_summary_table(site: str) -> None:
    result = check("--crawl", "2", "--crawl-delay", "0", site + "/")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{site}/: 3 call(s)" in out and f"{site}/a: 3 call(s)" in out
    assert f"{site}/b:" not in out
    summary = out[out.index("Summary") :].splitlines()
    assert summary[2].split() == ["pages", "2"]
    assert ["calls:", "AddToCart", "1"] in [line.split() for line in summary]
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_a_broken_link_is_skipped_with_a_line_on_stderr(site: str) -> None:
    Site.pages["/d"] = page("Lead", "/gone")
    try:
        result = check("--crawl", "5", "--crawl-delay", "0", site + "/d")
    finally:
        del Site.pages["/d"]
    assert result.returncode == 0
    assert result.stderr == f"tiktok-pixel check: skipped {site}/gone: HTTP 404 Not Found\n"


def test_an_unreadable_start_url_exits_2(site: str) -> None:
    result = check("--crawl", "5", site + "/nothing")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "HTTP 404" in result.stderr


def test_crawl_delay_is_kept_between_pages(site: str) -> None:
    import time

    start = time.monotonic()
    result = check("--crawl", "3", "--crawl-delay", "0.4", site + "/")
    assert result.returncode == 0
    assert time.monotonic() - start >= 0.8  # two pauses between three pages


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only() -> None:
    terminal = Terminal()
    bar = Progress(terminal)
    bar.show(1, 4, "http://site.test/a")
    assert "[#####...............] 1/4 http://site.test/a" in terminal.getvalue()
    bar.clear()
    assert terminal.getvalue().endswith("\r")
    quiet = io.StringIO()
    Progress(quiet).show(1, 4, "x")
    assert quiet.getvalue() == ""


@pytest.mark.browser
def test_crawl_in_the_browser(site: str) -> None:
    if not chromium_path():
        pytest.skip("no chromium")
    result = check(
        "--browser", "--settle", "0.2", "--crawl", "10", "--crawl-delay", "0", "--format", "json",
        site + "/",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [p["source"] for p in report["pages"]] == [site + u for u in ("/", "/a", "/b", "/c")]
    assert report["summary"]["calls"]["load"] == 4
    assert "/private/x" not in Site.requested


@pytest.mark.browser
def test_third_party_scripts_are_blocked_unless_allowed(site: str) -> None:
    if not chromium_path():
        pytest.skip("no chromium")
    blocked = check("--browser", "--settle", "0.2", "--format", "json", site + "/third")
    assert blocked.returncode == 0, blocked.stderr
    (page,) = json.loads(blocked.stdout)["pages"]
    assert [c.get("event") for c in page["calls"] if c["method"] == "track"] == ["ViewContent"]
    assert page["blocked_hosts"] == ["localhost"]
    assert "/third.js" not in Site.requested
    allowed = check(
        "--browser", "--settle", "0.2", "--allow-host", "localhost", "--format", "json",
        site + "/third",
    )  # fmt: skip
    (page,) = json.loads(allowed.stdout)["pages"]
    events = [c.get("event") for c in page["calls"] if c["method"] == "track"]
    assert events == ["ViewContent", "FromThirdParty"]
    assert "blocked_hosts" not in page
