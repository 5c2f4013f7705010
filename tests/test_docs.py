"""The documentation cannot rot: every Python example runs, generated pages match the code.

Every fenced ```` ```python ```` block of ``README.md`` and ``docs/*.md`` is executed: the blocks
of one file run in order in one namespace, as a reader would paste them. A block preceded by
``<!-- no-exec: reason -->`` (it needs a server, a Django project, a worker) is skipped. A failing
block is reported as ``file:line``, and its traceback points at the Markdown line.
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FILES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
_NO_EXEC = re.compile(r"^\s*<!--\s*no-exec:\s*(?P<reason>\S.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced Python block: its first code line (1-based) and its dedented source."""

    line: int
    code: str
    skip: str | None


def python_blocks(text: str) -> list[Block]:
    """The ```` ```python ```` blocks of a Markdown text, with their no-exec reasons."""
    lines = text.splitlines()
    blocks: list[Block] = []
    previous = ""
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match or not match["lang"]:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue
        indent, lang, start = match["indent"], match["lang"], index + 1
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if lang == "python":
            body = [line[len(indent) :] for line in lines[start:index]]
            skip = _NO_EXEC.match(previous)
            blocks.append(
                Block(start + 1, textwrap.dedent("\n".join(body)), skip["reason"] if skip else None)
            )
        previous = ""
        index += 1
    return blocks


def test_the_block_reader_finds_blocks_lines_and_skips() -> None:
    text = (
        "intro\n\n```python\nx = 1\n```\n<!-- no-exec: needs a server -->\n```python\nboom\n```\n"
    )
    text += "- item:\n\n  ```python\n  y = x + 1\n  ```\n```sh\nls\n```\n"
    assert python_blocks(text) == [
        Block(4, "x = 1", None),
        Block(8, "boom", "needs a server"),
        Block(13, "y = x + 1", None),
    ]


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", FILES, ids=_relative)
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [block for block in python_blocks(path.read_text(encoding="utf-8"))]
    runnable = [block for block in blocks if block.skip is None]
    if not runnable:
        pytest.skip("no runnable Python example")
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    namespace: dict[str, object] = {"__name__": f"example_{path.stem.replace('-', '_')}"}
    for block in runnable:
        # Pad so that line numbers in a traceback are the Markdown file's own.
        source = "\n" * (block.line - 1) + block.code
        try:
            exec(compile(source, str(path), "exec"), namespace)
        except Exception as exc:
            frames = [
                frame
                for frame in traceback.extract_tb(exc.__traceback__)
                if frame.filename == str(path)
            ]
            where = frames[-1].lineno if frames else block.line
            pytest.fail(
                f"{_relative(path)}:{where}: the example (block at line {block.line}) failed: "
                f"{type(exc).__name__}: {exc}",
                pytrace=False,
            )


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_pages_are_current() -> None:
    assert _load("gen_pages").stale_pages() == [], "run: python docs/gen_pages.py (make docs)"


def test_every_option_is_documented() -> None:
    from tiktok_pixel.contrib.options import ALL_OPTIONS, OPTION_HELP

    assert set(OPTION_HELP) == set(ALL_OPTIONS)
    settings = (DOCS / "settings.md").read_text(encoding="utf-8")
    for option in ALL_OPTIONS:
        assert f"| `{option}` |" in settings


def test_every_rule_is_documented() -> None:
    from tiktok_pixel.validation import RULES

    page = (DOCS / "validation-rules.md").read_text(encoding="utf-8")
    assert [rule for rule in RULES if f"| `{rule}` |" not in page] == []


def test_the_navigation_lists_every_page(tmp_path: Path) -> None:
    navigation = _load("hooks").navigation
    listed = [page for entry in navigation() for page in entry.values()]
    assert sorted(listed) == sorted(path.name for path in DOCS.glob("*.md"))
    assert listed[0] == "index.md"
    # a page another change adds lands in the navigation with no edit
    (tmp_path / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "zebra.md").write_text("# Zebra crossings\n", encoding="utf-8")
    assert navigation(tmp_path) == [{"Home": "index.md"}, {"Zebra crossings": "zebra.md"}]
