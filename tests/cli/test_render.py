from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import CODE, CODE2
from tests.payload import payloads
from tiktok_pixel import __version__
from tiktok_pixel.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_pixel", *args], capture_output=True, text=True, timeout=60
    )


def test_render_prints_the_fragment() -> None:
    result = run("render", "--pixel-code", CODE.lower(), "--pixel-code", CODE2, "--nonce", "abc")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<script nonce="abc">')
    assert payloads(result.stdout)[0]["pixels"] == [CODE, CODE2]


def test_render_options(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "render",
            "--pixel-code",
            CODE,
            "--use-existing-pixel",
            "--limited-data-use",
            "--no-auto-page-view",
            "--consent",
            "hold",
            "--default-phone-region",
            "GB",
        ]
    )
    assert code == 0
    # an existing pixel with no calls has nothing to hand over
    assert capsys.readouterr().out == "\n"
    assert (
        main(
            [
                "render",
                "--pixel-code",
                CODE,
                "--limited-data-use",
                "--consent",
                "hold",
                "--no-auto-page-view",
            ]
        )
        == 0
    )
    payload = payloads(capsys.readouterr().out)[0]
    assert payload["options"] == {"limited_data_use": True}
    assert payload["hold"] is True and payload["page"] is False


def test_no_inline_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--pixel-code", CODE, "--runtime-url", "/static/tiktok_pixel.js"]) == 0
    assert 'type="application/json"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pixel-code", "nope"], "invalid TikTok pixel code 'nope'"),
        ([], "--pixel-code is required, unless --use-existing-pixel is set"),
        (["--pixel-code", CODE, "--nonce", 'x"y'], "CSP nonce must be"),
        (["--pixel-code", CODE, "--default-phone-region", "ZZ"], "--default-phone-region 'ZZ'"),
        (["--pixel-code", CODE, "--default-currency", "eu"], "--default-currency 'eu' is not"),
        (["--pixel-code", CODE, "--sdk-url", "ftp://x"], "--sdk-url must be an http(s) URL"),
        (
            ["--pixel-code", CODE, "--mappings", "/nonexistent/mappings.json"],
            "cannot read --mappings file",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = run("render", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tiktok-pixel render: error: ")
    assert message in lines[0]


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"tiktok-pixel {__version__}"
    help_ = run("--help")
    assert help_.returncode == 0 and "render" in help_.stdout
    render_help = run("render", "--help")
    assert "--pixel-code" in render_help.stdout and "--use-existing-pixel" in render_help.stdout
    assert run().returncode == 2
