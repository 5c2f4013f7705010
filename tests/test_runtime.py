"""The built runtime: fresh, complete, and recognised again on a page.

What the JavaScript does is checked in Chromium (``tests/test_runtime_browser.py``); here only
the build and the Python side's reading of it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CODE, CODE2
from tiktok_pixel import PixelConfig
from tiktok_pixel.fragment import heads
from tiktok_pixel.runtime import (
    INLINE_PROGRAMS_NAME,
    STATIC_SCRIPT_NAME,
    inline_payload,
    inline_program,
    inline_programs,
)

ROOT = Path(__file__).resolve().parent.parent


def test_committed_build_equals_a_fresh_build(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "terser").is_dir():
        message = "needs node and `make npm` (terser in node_modules/)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the build check must run in CI: " + message)
        pytest.skip(message)
    subprocess.run(
        [node, str(ROOT / "templates" / "runtime" / "build.mjs"), str(tmp_path)],
        check=True,
        timeout=120,
    )
    for name in (STATIC_SCRIPT_NAME, INLINE_PROGRAMS_NAME):
        fresh = (tmp_path / name).read_bytes()
        assert (ROOT / "static" / name).read_bytes() == fresh, f"static/{name} is stale: make js"


FLAGS = ("existing", "several", "hold", "page", "options", "custom_sdk")


@pytest.mark.parametrize("values", list(itertools.product([False, True], repeat=len(FLAGS))))
def test_every_configuration_has_its_program(values: tuple[bool, ...]) -> None:
    program = inline_program(**dict(zip(FLAGS, values, strict=True)))
    assert program in inline_programs()


def test_inline_programs_differ_by_configuration() -> None:
    # what a configuration cannot need is left out, so the programs differ (sizes: bench_sizes)
    assert len(set(inline_programs())) == len(inline_programs()) == 36


def configs() -> list[PixelConfig]:
    return [
        PixelConfig(pixel_codes=CODE),
        PixelConfig(pixel_codes=[CODE, CODE2], consent="hold", limited_data_use=True),
        PixelConfig(pixel_codes=CODE, auto_page_view=False, sdk_url="/sdk/events.js"),
        PixelConfig(pixel_codes=CODE, use_existing_pixel=True, consent="hold"),
    ]


@pytest.mark.parametrize("config", configs())
def test_an_inline_fragment_is_read_back_and_a_cut_one_is_an_error(config: PixelConfig) -> None:
    payload = heads(config).payload + '[["track","Lead",{},{"event_id":"e"}]]}'
    head = heads(config)
    text = head.inline[: -len(head.payload)] + payload + head.tail[1:]
    assert inline_payload(text) == payload
    with pytest.raises(ValueError, match="truncated"):
        inline_payload(text[:-3])


def test_other_scripts_are_not_fragments() -> None:
    assert inline_payload("console.log(1)") is None
    assert inline_payload("") is None
