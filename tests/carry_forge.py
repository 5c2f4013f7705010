"""Carry-cookie values built by hand from the documented format (``tiktok_pixel.carry_cookie``).

Tests use them to send what a browser could send: a value signed with the site's key that holds
entries we never write, an expired one, one signed with another secret. Built independently of
``CarryCookie`` so that the format the docs describe is checked too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from typing import Any

from tiktok_pixel.carry_cookie import COOKIE_NAME, SALT


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(secret: str, items: Any, *, issued: float | None = None, compress: bool = True) -> str:
    """A carry-cookie value holding ``items`` (any JSON), signed with ``secret``'s derived key."""
    raw = json.dumps(items, separators=(",", ":")).encode()
    data = "z" + _b64(zlib.compress(raw)) if compress else "j" + _b64(raw)
    head = f"{data}.{int(time.time() if issued is None else issued)}"
    key = hmac.new(secret.encode(), SALT, hashlib.sha256).digest()
    return f"{head}.{_b64(hmac.new(key, head.encode(), hashlib.sha256).digest())}"


def read(value: str) -> Any:
    """The JSON a carry-cookie value holds (its signature unchecked): what a visitor can read."""
    data = value.split(".")[0]
    raw = base64.urlsafe_b64decode(data[1:] + "=" * (-len(data[1:]) % 4))
    return json.loads(zlib.decompress(raw) if data[0] == "z" else raw)


__all__ = ["COOKIE_NAME", "forge", "read"]
