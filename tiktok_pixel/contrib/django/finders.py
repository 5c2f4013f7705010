"""A staticfiles finder that offers the no-inline runtime as ``tiktok_pixel/tiktok_pixel.js``.

The script ships inside the package (or beside it in a source checkout), not in this app's
``static/`` folder, so ``AppDirectoriesFinder`` cannot see it. Add
``"tiktok_pixel.contrib.django.finders.TikTokPixelFinder"`` to ``STATICFILES_FINDERS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

from ...resources import static_path
from ...runtime import STATIC_SCRIPT_NAME
from .static_script import STATIC_NAME


class TikTokPixelFinder(BaseFinder):
    """Finds exactly one file: ``tiktok_pixel/tiktok_pixel.js``."""

    prefix = "tiktok_pixel"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.path = static_path(STATIC_SCRIPT_NAME)
        self.storage = FileSystemStorage(location=str(self.path.parent))
        # collectstatic copies to "<prefix>/<name>" when the storage carries a prefix.
        self.storage.prefix = self.prefix  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if self.path.is_file():
            return []
        return [
            Error(
                f"The TikTok pixel runtime {self.path} is missing from this installation.",
                hint="Reinstall tiktok-pixel, or run `make static` in a source checkout.",
                id="tiktok_pixel.E008",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        find_all = find_all or bool(kwargs.get("all"))  # Django < 5.2 passes all=
        found = [str(self.path)] if path == STATIC_NAME and self.path.is_file() else []
        # Like Django's own finders: no match is an empty list, whatever find_all says.
        return found[0] if found and not find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        if self.path.is_file():
            yield STATIC_SCRIPT_NAME, self.storage
