"""``make demo`` / ``python -m tiktok_pixel demo``: a real server process, and the wheel carries
the demo, templates and static files so the command works from an installed package too."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tiktok_pixel.cli import build_parser, main
from tiktok_pixel.cli.demo import demo_settings, load_demo

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            return line
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"the demo printed no URL (exit code {process.poll()})")


@pytest.mark.parametrize("command", ["make", "python"])
def test_demo_server_starts_serves_the_shop_and_stops(command: str) -> None:
    port = free_port()
    if command == "make":
        argv = ["make", "--no-print-directory", "demo", f"PORT={port}"]
    else:
        argv = [sys.executable, "-m", "tiktok_pixel", "demo", "--port", str(port)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        line = wait_for_line(process)
        while f"127.0.0.1:{port}" not in line:  # make echoes its command first
            line = wait_for_line(process)
        assert re.search(rf"http://127\.0\.0\.1:{port}/", line), line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            body = response.read().decode()
            csp = response.headers["Content-Security-Policy"]
        assert response.status == 200
        assert "Hearth &amp; Field" in body and "Enamel camp mug" in body
        assert '"sdk":"/_sdk/events.js"' in body and "'nonce-" in csp
    finally:
        os.killpg(process.pid, 15)  # the process group we started (make and its python)
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def test_demo_refuses_a_port_in_use_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("tiktok-pixel demo: error: cannot listen on 127.0.0.1:") and "\n" not in err
    )


def test_real_mode_needs_a_real_pixel_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--real", "--port", "0"]) == 2
    assert "needs your own pixel code" in capsys.readouterr().err


def test_flags_and_environment_become_settings() -> None:
    args = build_parser().parse_args(
        ["demo", "--real", "--pixel-code", "C3MV4QR3G487IS97GFI0", "--existing-pixel"]
    )
    assert args.host == "127.0.0.1" and args.port == 5000
    assert demo_settings(args, {"TIKTOK_PIXEL_DEMO_INSPECTOR": "0"}) == {
        "DEMO_REAL_SDK": True,
        "TIKTOK_PIXEL_CODE": "C3MV4QR3G487IS97GFI0",
        "DEMO_EXISTING_PIXEL": True,
        "DEMO_INSPECTOR": False,
    }
    app = load_demo().create_app(demo_settings(args, {}))
    assert app.config["TIKTOK_PIXEL_SDK_URL"] == "https://analytics.tiktok.com/i18n/pixel/events.js"
    assert app.config["TIKTOK_PIXEL_USE_EXISTING"] is True


def test_the_wheel_carries_the_demo_templates_and_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("tiktok_pixel-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "tiktok_pixel/cli/demo.py",
        "tiktok_pixel/static/tiktok_pixel.js",
        "tiktok_pixel/static/tiktok_pixel.inline.json",
        "tiktok_pixel/static/tiktok_sdk_standin.js",
        "tiktok_pixel/_demo_site/__init__.py",
        "tiktok_pixel/_demo_site/app.py",
        "tiktok_pixel/_demo_site/catalogue.json",
        "tiktok_pixel/_demo_site/templates/shop/base.html",
        "tiktok_pixel/_demo_site/static/inspector.js",
        "tiktok_pixel/_demo_site/static/shop.css",
    }
    assert expected <= names, sorted(expected - names)

    # installed from the wheel alone (no checkout beside it), the demo app still builds and serves
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import sys; sys.path[:0] = [sys.argv[1]];"
        "import tiktok_pixel; assert tiktok_pixel.__file__.startswith(sys.argv[1]);"
        "from tiktok_pixel.cli.demo import load_demo; d = load_demo();"
        "assert d.__name__ == 'tiktok_pixel._demo_site', d.__name__;"
        "c = d.create_app().test_client();"
        "assert c.get('/').status_code == 200; r = c.get('/_sdk/events.js');"
        "assert r.status_code == 200 and b'OFFLINE STAND-IN' in r.data; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(site)], capture_output=True, text=True,
        timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.stdout.strip() == "ok", result.stderr
