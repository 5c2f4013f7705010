"""MkDocs hooks: the navigation is every ``docs/*.md`` page, and generated pages must be fresh.

Pages listed in ``ORDER`` come first, in that order; any other page (one another change adds,
like ``docs/runtime.md``) follows in alphabetical order, so no page is ever left out of the site.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

DOCS = Path(__file__).resolve().parent

#: The reading order of the pages that exist now; new pages need no entry.
ORDER = [
    "index.md",
    "flask.md",
    "django.md",
    "jinja.md",
    "segment.md",
    "settings.md",
    "privacy.md",
    "csp.md",
    "events-api.md",
    "testing.md",
    "validation-rules.md",
    "cli.md",
    "demo.md",
    "trust.md",
    "benchmarks.md",
    "api.md",
    "development.md",
]


def _title(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem.replace("-", " ").capitalize()


def navigation(docs: Path = DOCS) -> list[dict[str, str]]:
    """``[{title: page}, …]`` for every Markdown page in ``docs``."""
    pages = sorted(path.name for path in docs.glob("*.md"))
    ordered = [name for name in ORDER if name in pages]
    ordered += [name for name in pages if name not in ORDER]
    return [{_title(docs / name): name} for name in ordered]


def on_config(config: Any) -> Any:
    config["nav"] = navigation(Path(config["docs_dir"]))
    return config


def on_pre_build(config: Any) -> None:
    spec = importlib.util.spec_from_file_location("gen_pages", DOCS / "gen_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = module.stale_pages()
    if stale:
        raise PluginError(f"generated page(s) {', '.join(stale)} are stale: run make docs")
