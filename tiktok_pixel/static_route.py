"""Serving ``static/tiktok_pixel.js`` (no-inline mode) from the site itself: URL and response.

Every integration answers the same way. The versioned URL ``…/tiktok_pixel.<digest>.js`` carries
16 hex digits of the script's SHA-256, so it is cached for a year and a release changes the URL;
any other digest (a mistyped or stale URL) is a 404, never a year-long cache of the wrong
script. The unversioned ``…/tiktok_pixel.js`` is cached for an hour and revalidated by ETag.
"""

from __future__ import annotations

from dataclasses import dataclass

from .runtime import STATIC_SCRIPT_NAME, served_static_script

#: Cache lifetimes of the unversioned and the versioned URL.
UNVERSIONED_MAX_AGE = 3600
VERSIONED_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class ScriptReply:
    """What to answer for a request of the script: status, headers and body (``b""`` unless 200)."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def digest() -> str:
    """The digest versioned URLs carry (of the script this installation serves)."""
    return served_static_script()[1]


def versioned_name() -> str:
    """``tiktok_pixel.<digest>.js``: the file name pages load the script under."""
    return STATIC_SCRIPT_NAME.replace(".js", f".{digest()}.js")


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def script_reply(version: str | None, *, if_none_match: str | None = None) -> ScriptReply:
    """The answer for ``tiktok_pixel.<version>.js`` (``version=None``: ``tiktok_pixel.js``).

    404 for a version other than the current digest; 304 when ``If-None-Match`` names the
    current ETag.
    """
    body, current = served_static_script()
    if version is not None and version != current:
        return ScriptReply(404)
    max_age = UNVERSIONED_MAX_AGE if version is None else VERSIONED_MAX_AGE
    etag = f'"{current}"'
    headers = (
        ("Content-Type", "text/javascript; charset=utf-8"),
        ("Cache-Control", f"public, max-age={max_age}" + (", immutable" if version else "")),
        ("ETag", etag),
        ("X-Content-Type-Options", "nosniff"),
    )
    if _etag_matches(if_none_match, etag):
        return ScriptReply(304, headers[1:])
    return ScriptReply(200, headers, body)
