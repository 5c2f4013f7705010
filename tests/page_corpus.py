"""The page corpus of ``check`` (``tests/data/pages``), with the shared base code filled in.

The pixel base code (our paraphrase of the shape of TikTok's snippet) is written once, in
``base_code.js``; a page marks where it goes with the line :data:`PLACEHOLDER` (inside a
``<script>``, or inside a JavaScript string in a ``.js`` file, where it is followed by ``\\n``).
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "pages"
PLACEHOLDER = "/* BASE CODE: base_code.js */"
#: The opening of the base code, up to (not including) its ``ttq.load(...)`` calls.
BASE_CODE = (CORPUS / "base_code.js").read_text(encoding="utf-8")
_SHARED = {"base_code.js", "README.md"}


def page_text(name: str) -> str:
    """The corpus file ``name`` as a browser gets it: the base code in place of the marker."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        filled = text.replace(PLACEHOLDER + "\\n", json.dumps(BASE_CODE)[1:-1])
    else:
        filled = text.replace(PLACEHOLDER + "\n", BASE_CODE)
    assert PLACEHOLDER not in filled, f"{name}: the base-code marker must end its line"
    return filled


def page_names() -> list[str]:
    """The corpus's pages and scripts (not the shared base code), sorted."""
    return sorted(item.name for item in CORPUS.iterdir() if item.name not in _SHARED)


def write_corpus(folder: Path) -> Path:
    """Write every page and script of the corpus, filled in, into ``folder``; returns it."""
    for name in page_names():
        (folder / name).write_text(page_text(name), encoding="utf-8")
    return folder
