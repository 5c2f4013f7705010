"""``python -m tiktok_pixel check``: files and URLs, text and JSON, exit codes 0/1/2."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.browser import html_page
from tests.conftest import CODE
from tests.page_corpus import page_text
from tiktok_pixel import Call, PixelConfig, render_calls
from tiktok_pixel.cli import main
from tiktok_pixel.runtime import inline_payload

CLEAN = html_page(
    str(
        render_calls(
            PixelConfig(pixel_codes=CODE),
            [Call("track", "AddToCart", {"value": 12.5, "currency": "EUR"}, "evt-1")],
        )
    )
)
BROKEN = html_page(
    str(
        render_calls(
            PixelConfig(pixel_codes=CODE),
            [Call("track", "Purchase", {"currency": "EUR"}, "evt-2"), Call("track", "SubmitForm")],
        )
    )
)
WARNED = html_page("", str(render_calls(PixelConfig(pixel_codes=CODE), [])))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def pages(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name, html in (("clean", CLEAN), ("broken", BROKEN), ("warned", WARNED)):
        files[name] = tmp_path / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    return files


def test_clean_page_lists_calls_and_exits_0(pages: dict[str, Path]) -> None:
    result = run("check", str(pages["clean"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{pages['clean']}: 3 call(s), 0 error(s), 0 warning(s)",
        f"  load {CODE} {{}}",
        "  page",
        '  track \'AddToCart\' {"value": 12.5, "currency": "EUR"} event_id=\'evt-1\'',
    ]
    assert result.stderr == ""


def test_an_error_level_rule_exits_1(
    pages: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(pages["clean"]), str(pages["broken"])]) == 1
    out = capsys.readouterr().out
    assert f"{pages['broken']}: 4 call(s), 1 error(s), 1 warning(s)" in out
    assert "  ERROR [value-missing] 'Purchase' has no value" in out
    assert "  WARNING [event-renamed] 'SubmitForm' is now 'Lead'; use the new name" in out


def test_warnings_alone_exit_0(pages: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(pages["warned"])]) == 0
    assert "WARNING [loader-outside-head]" in capsys.readouterr().out


def test_json_format(pages: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(pages["clean"]), str(pages["broken"])]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 1 and report["warnings"] == 1
    clean, broken = report["pages"]
    assert clean == {
        "source": str(pages["clean"]),
        "calls": [
            {"method": "load", "params": {}, "pixel_code": CODE},
            {"method": "page", "params": {}},
            {
                "method": "track",
                "event": "AddToCart",
                "params": {"value": 12.5, "currency": "EUR"},
                "event_id": "evt-1",
            },
        ],
        "findings": [],
        "errors": 0,
        "warnings": 0,
        "unread": [],
    }
    assert [f["rule"] for f in broken["findings"]] == ["value-missing", "event-renamed"]
    assert broken["findings"][0]["severity"] == "error"
    assert broken["findings"][0]["call"]["event"] == "Purchase"
    assert broken["findings"][0]["explanation"].startswith("Purchase, CompletePayment")


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(BROKEN))
    assert main(["check", "-"]) == 1
    assert capsys.readouterr().out.startswith("-: 4 call(s), 1 error(s)")


def test_unreadable_input_exits_2_with_one_line(tmp_path: Path, pages: dict[str, Path]) -> None:
    missing = tmp_path / "missing.html"
    result = run("check", str(pages["clean"]), str(missing))
    assert result.returncode == 2
    assert result.stdout == ""  # nothing is checked when an input cannot be read
    assert result.stderr == (
        f"tiktok-pixel check: error: {missing}: cannot read: No such file or directory\n"
    )
    assert run("check", str(tmp_path)).stderr.count("\n") == 1  # a directory


def test_bad_arguments_exit_2() -> None:
    assert run("check").returncode == 2
    assert run("check", "--format", "xml", "x.html").returncode == 2
    result = run("check", "--timeout", "0", "x.html")
    assert result.returncode == 2
    assert result.stderr == (
        "tiktok-pixel check: error: --timeout must be a positive number of seconds, not 0\n"
    )


# --- URLs, against a local http.server on 127.0.0.1 --------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[str, str]]] = {
        "/": (CLEAN, "utf-8"),
        "/broken": (BROKEN, "utf-8"),
        "/latin": (CLEAN, "latin-1"),
    }

    def do_GET(self) -> None:
        if self.path not in self.routes:
            self.send_error(404, "Not Found")
            return
        html, charset = self.routes[self.path]
        body = html.replace("<body>", "<body>Café").encode(charset)
        self.send_response(200)
        self.send_header("Content-Type", f"text/html; charset={charset}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_urls_are_fetched_and_checked(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", server + "/", server + "/latin"]) == 0
    out = capsys.readouterr().out
    assert f"{server}/: 3 call(s), 0 error(s), 0 warning(s)" in out
    assert f"{server}/latin: 3 call(s), 0 error(s), 0 warning(s)" in out
    assert main(["check", "--format", "json", server + "/broken"]) == 1
    assert json.loads(capsys.readouterr().out)["pages"][0]["source"] == server + "/broken"


def test_url_errors_exit_2(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", server + "/missing"]) == 2
    assert capsys.readouterr().err == (
        f"tiktok-pixel check: error: {server}/missing: HTTP 404 Not Found\n"
    )
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["check", f"http://127.0.0.1:{port}/"]) == 2
    assert "cannot fetch" in capsys.readouterr().err


def test_url_timeout_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        assert main(["check", "--timeout", "0.3", url]) == 2
    err = capsys.readouterr().err
    assert err == f"tiktok-pixel check: error: {url}: no answer within 0.3 s\n"


# --- issue 14: any page, more formats, hardening ------------------------------------------------

STOCK = page_text("base_code_wrong.html")


def test_tiktoks_base_code_and_hand_written_calls_are_read(tmp_path: Path) -> None:
    page = tmp_path / "stock.html"
    page.write_text(STOCK, encoding="utf-8")
    result = run("check", str(page))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{page}: 4 call(s), 5 error(s), 1 warning(s)"
    assert '  track \'CompletePayment\' {"value": "12", "currency": "usd"}' in lines
    assert (
        "  ERROR [currency-unsupported] 'CompletePayment': currency 'usd' is not a code TikTok "
        "accepts" in lines
    )
    assert lines[-1] == (
        "  NOT READ (use --browser) line 36: ttq.track('Purchase', order) "
        "(arguments are not literals)"
    )


def test_json_lists_what_was_not_read(tmp_path: Path) -> None:
    page = tmp_path / "stock.html"
    page.write_text(STOCK, encoding="utf-8")
    report = json.loads(run("check", "--format", "json", str(page)).stdout)
    assert report["pages"][0]["unread"] == [
        {"line": 36, "text": "ttq.track('Purchase', order)", "reason": "arguments are not literals"}
    ]


def test_junit_has_one_testcase_per_page(pages: dict[str, Path]) -> None:
    import xml.etree.ElementTree as ET

    result = run("check", "--format", "junit", str(pages["clean"]), str(pages["broken"]))
    assert result.returncode == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    clean, broken = suite.findall("testcase")
    assert clean.get("name") == str(pages["clean"]) and clean.find("failure") is None
    failure = broken.find("failure")
    assert failure is not None and failure.get("type") == "value-missing"
    assert "error [value-missing] 'Purchase' has no value" in (failure.text or "")
    assert "WARNING [event-renamed]" in (broken.findtext("system-out") or "")


def test_junit_survives_characters_xml_cannot_hold(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    page = tmp_path / "odd.html"
    page.write_text(
        html_page(str(render_calls(PixelConfig(pixel_codes=CODE), [Call("track", "A\x01\x1b")]))),
        encoding="utf-8",
    )
    ET.fromstring(run("check", "--format", "junit", str(page)).stdout)


def inline(payload: str) -> str:
    """A page whose inline fragment carries ``payload`` instead of the one rendered."""
    html = str(render_calls(PixelConfig(pixel_codes=CODE), []))
    rendered = inline_payload(html.split(">", 1)[1].rsplit("</script>", 1)[0])
    assert rendered
    return html_page(html.replace(rendered, payload))


def test_a_hostile_page_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    payloads = [
        '{"pixels":["%s"],"calls":[["track","X",%s]]}' % (CODE, deep),  # noqa: UP031
        '{"pixels":["%s"],"options":"x","calls":[]}' % CODE,  # noqa: UP031
        '{"pixels":["%s"],"calls":[["track","Purchase",{"value":1,"currency":{}}]]}' % CODE,  # noqa: UP031
    ]
    files = []
    for index, payload in enumerate(payloads):
        files.append(tmp_path / f"hostile{index}.html")
        files[-1].write_text(inline(payload), encoding="utf-8")
    hand = tmp_path / "hand.html"
    hand.write_text(
        html_page("<script>ttq.track('A', " + "{a:" * 50_000 + "</script>"), encoding="utf-8"
    )
    result = run("check", "--format", "json", *map(str, [*files, hand]))
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    rules = [[f["rule"] for f in page["findings"]] for page in json.loads(result.stdout)["pages"]]
    assert rules[:3] == [["fragment-unreadable"], ["fragment-unreadable"], ["currency-unsupported"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--settle", "2"], "--settle needs --browser"),
        (["--allow-host", "cdn.test"], "--allow-host needs --browser"),
        (["--chromium", "/usr/bin/chromium"], "--chromium needs --browser"),
        (["--crawl", "0"], "--crawl must be at least 1 page, not 0"),
        (["--crawl-delay", "-1"], "--crawl-delay must be zero or more seconds, not -1"),
        (["--browser", "--settle", "-1"], "--settle must be zero or more seconds, not -1"),
    ],
)
def test_option_errors_exit_2(args: list[str], message: str) -> None:
    result = run("check", *args, "x.html")
    assert result.returncode == 2
    assert result.stderr == f"tiktok-pixel check: error: {message}\n"


def test_browser_without_chromium_exits_2_naming_the_fix(pages: dict[str, Path]) -> None:
    result = run("check", "--browser", "--chromium", "/nonexistent/chromium", str(pages["clean"]))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "tiktok-pixel check: error: no Chromium at /nonexistent/chromium "
        "(apt-get install chromium, or give --chromium PATH)\n"
    )


def test_browser_that_cannot_start_exits_2(pages: dict[str, Path], tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    env = {**__import__("os").environ, "TIKTOK_PIXEL_CHROMIUM": str(fake)}
    result = subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", "check", "--browser", str(pages["clean"])],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"tiktok-pixel check: error: Chromium at {fake} cannot start")
    assert result.stderr.endswith("(apt-get install chromium, or give --chromium PATH)\n")
    assert result.stderr.count("\n") == 1


def test_browser_without_playwright_exits_2_naming_the_extra(pages: dict[str, Path]) -> None:
    code = (
        "import sys; sys.modules['playwright'] = None; sys.modules['playwright.sync_api'] = None\n"
        "from tiktok_pixel.cli import main\n"
        f"sys.exit(main(['check', '--browser', {str(pages['clean'])!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr == (
        "tiktok-pixel check: error: --browser needs Playwright: "
        "pip install 'tiktok-pixel[browser]'\n"
    )


def test_timeout_bounds_the_whole_fetch_of_a_url() -> None:
    import time

    from tests.test_page_fetch import serve, trickle

    for url in serve(trickle):
        start = time.monotonic()
        result = run("check", "--timeout", "1", url + "/")
        elapsed = time.monotonic() - start
        assert result.returncode == 2
        assert result.stderr == f"tiktok-pixel check: error: {url}/: no answer within 1 s\n"
        assert elapsed < 15  # the interpreter's start included; the trickle lasts 60 s
