"""Redact personal data from a URL's query, fragment, path and user info, keeping the rest.

An email in a page's query string (``/account?email=ann@example.com``, common after password
reset and newsletter links) must not reach TikTok as ``page.url``. Each ``name=value`` pair of the
query (and of a fragment written like one) is decoded (``+`` and ``%XX``, so ``ann%40example.com``
is seen) and replaced when its name names personal data or its value holds an email or phone
number; path segments and a plain fragment holding one are replaced whole; user info
(``user:pw@``) is always removed. Names matching the allow-list (``utm_*``, ``ttclid``, …) are
kept untouched. The replacement comes from the caller (``[redacted]`` or a hash).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import unquote, unquote_plus

from .pii_detect import SUSPECT, is_hashed, key_kind, text_kind

#: Marketing parameters kept as they are, by default (glob patterns, case-insensitive).
DEFAULT_URL_PARAMS_ALLOWED: Final[tuple[str, ...]] = ("utm_*", "ttclid", "gclid", "fbclid")
#: The text a dropped value is replaced with.
REDACTED: Final = "[redacted]"

_PATTERN_CHARS = re.compile(r"[A-Za-z0-9_.\-*?\[\]!]{1,100}")


def compile_allowed(patterns: Iterable[str]) -> Callable[[str], object]:
    """A matcher for parameter names from glob patterns; ``ValueError`` names a bad pattern."""
    parts = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not _PATTERN_CHARS.fullmatch(pattern):
            raise ValueError(
                f"url_params_allowed entries must be glob patterns of letters, digits and "
                f"_ . - * ? [ ] (like 'utm_*'), not {pattern!r}"
            )
        parts.append(fnmatch.translate(pattern.lower()))
    if not parts:
        return lambda name: None
    return re.compile("|".join(f"(?:{part})" for part in parts)).match


def looks_like_url(text: str) -> bool:
    """True for an absolute http(s) URL, a protocol-relative one or an absolute path."""
    return text.startswith(("http://", "https://", "//", "/")) or text[:8].lower().startswith(
        ("http://", "https://")
    )


def redact_url(
    url: str,
    replace: Callable[[str], str],
    allowed: Callable[[str], object],
    region: str | None = None,
) -> tuple[str, list[str]]:
    """``url`` with personal data replaced by ``replace(decoded_value)``, and where it was.

    The places are ``?name`` for a query parameter, ``#name`` / ``#fragment`` for the fragment,
    ``/path`` and ``@userinfo``; parameter names that themselves look like data are not named.
    """
    found: list[str] = []
    rest, hash_mark, fragment = url.partition("#")
    rest, question, query = rest.partition("?")
    rest = _redact_location(rest, replace, region, found)
    if question:
        query = _redact_pairs(query, replace, allowed, region, found, "?")
    if hash_mark and fragment:
        if "=" in fragment:
            fragment = _redact_pairs(fragment, replace, allowed, region, found, "#")
        elif _is_pii_text(unquote(fragment), region):
            found.append("#fragment")
            fragment = replace(unquote(fragment))
    return rest + question + query + hash_mark + fragment, found


def _is_pii_text(text: str, region: str | None) -> bool:
    return SUSPECT(text) is not None and not is_hashed(text) and text_kind(text, region) is not None


def _redact_location(
    location: str, replace: Callable[[str], str], region: str | None, found: list[str]
) -> str:
    """Scheme and host kept (user info removed); path segments holding data replaced."""
    marker = location.find("//")
    if marker == -1 or (marker and location[marker - 1] != ":"):
        return _redact_path(location, replace, region, found)
    start = marker + 2
    slash = location.find("/", start)
    if slash == -1:
        slash = len(location)
    authority = location[start:slash]
    if "@" in authority:
        found.append("@userinfo")
        authority = authority.rpartition("@")[2]
    return location[:start] + authority + _redact_path(location[slash:], replace, region, found)


def _redact_path(
    path: str, replace: Callable[[str], str], region: str | None, found: list[str]
) -> str:
    if SUSPECT(path) is None:
        return path
    segments = path.split("/")
    changed = False
    for index, segment in enumerate(segments):
        if segment and _is_pii_text(unquote(segment), region):
            segments[index] = replace(unquote(segment))
            changed = True
    if changed:
        found.append("/path")
    return "/".join(segments)


def _redact_pairs(
    text: str,
    replace: Callable[[str], str],
    allowed: Callable[[str], object],
    region: str | None,
    found: list[str],
    mark: str,
) -> str:
    pairs = text.split("&")
    for index, pair in enumerate(pairs):
        raw_name, equals, raw_value = pair.partition("=")
        name = unquote_plus(raw_name)
        if allowed(name.lower()):
            continue
        value = unquote_plus(raw_value)
        if value == REDACTED:
            continue
        if _is_pii_text(name, region):
            found.append(f"{mark}(name withheld)")
            pairs[index] = replace(name) + equals + (replace(value) if value else "")
        elif (value and key_kind(name) is not None and not is_hashed(value)) or _is_pii_text(
            value, region
        ):
            found.append(f"{mark}{name}" if _SAFE_NAME.fullmatch(name) else f"{mark}(name)")
            pairs[index] = raw_name + "=" + replace(value)
    return "&".join(pairs)


_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,40}")
