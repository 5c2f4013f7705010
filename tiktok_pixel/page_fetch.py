"""Read the pages ``check`` is given: files, stdin and http(s) URLs, within a time budget.

A URL is fetched with :mod:`http.client` so that ``timeout`` bounds the whole fetch (connect,
redirects and every read), not each read: a server that trickles one byte at a time cannot hold
``check`` longer than asked. Redirects are followed only to ``http:`` and ``https:``.
"""

from __future__ import annotations

import http.client
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import __version__

#: Pages larger than this are refused rather than read into memory.
MAX_BYTES = 20 * 1024 * 1024
#: Redirects followed before giving up.
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """An input that cannot be read: one line naming it (the CLI exits 2)."""


@dataclass(frozen=True)
class Fetched:
    """A page read: its final URL (after redirects), text, media type and CSP headers."""

    url: str
    text: str
    media_type: str = "text/html"
    policies: tuple[str, ...] = ()


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name in a Content-Type header
        return data.decode("utf-8", errors="replace")


def _too_large(source: str) -> FetchError:
    return FetchError(f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MB")


def fetch(url: str, timeout: float) -> Fetched:
    """GET ``url`` (following redirects) within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left

    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https"):
                raise FetchError(f"{url}: refusing to follow a redirect to a {parts.scheme}: URL")
            if not parts.hostname:
                raise FetchError(f"{url}: cannot fetch: no host in {current}")
            connection_type = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = connection_type(parts.hostname, parts.port, timeout=remaining())
            response: http.client.HTTPResponse | None = None
            try:
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                connection.request(
                    "GET",
                    target,
                    headers={
                        "User-Agent": f"tiktok-pixel-check/{__version__}",
                        "Accept": "text/html",
                    },
                )
                response = connection.getresponse()
                location = response.getheader("Location")
                if response.status in _REDIRECTS and location:
                    current = urljoin(current, location.strip())
                    continue
                if response.status >= 400:
                    raise FetchError(f"{url}: HTTP {response.status} {response.reason}")
                chunks: list[bytes] = []
                size = 0
                while True:
                    if connection.sock is not None:
                        connection.sock.settimeout(remaining())
                    chunk = response.read1(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise _too_large(url)
                    chunks.append(chunk)
                media_type = response.headers.get_content_type()
                charset = response.headers.get_content_charset()
                policies = tuple(response.headers.get_all("Content-Security-Policy") or ())
                text = decode(b"".join(chunks), charset)
                return Fetched(current, text, media_type, policies)
            finally:
                if response is not None:
                    response.close()  # it may own the socket (Connection: close)
                connection.close()
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {timeout:g} s") from None
    except FetchError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise FetchError(f"{url}: cannot fetch: {reason}") from None


def read_file(source: str) -> str:
    """The text of a file (``-``: stdin)."""
    if source == "-":
        return sys.stdin.read()
    try:
        with Path(source).open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FetchError(f"{source}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise _too_large(source)
    return decode(data, None)


def read_source(source: str, timeout: float) -> str:
    """The HTML of a file, ``-`` (stdin) or an http(s) URL."""
    return fetch(source, timeout).text if is_url(source) else read_file(source)
