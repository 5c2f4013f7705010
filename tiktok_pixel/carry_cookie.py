"""The cookie that carries calls across a redirect: signed, compact, short-lived, ours alone.

A request that ends in a redirect (post/redirect/get) sets the cookie :data:`COOKIE_NAME` to the
calls it could not show (:mod:`tiktok_pixel.carry`: their form, limit and checks); the next HTML
page verifies and renders them, and deletes the cookie with a pre-built ``Set-Cookie`` value.
Nothing is signed and no session is written on that page: this is what keeps the GET after a
post/redirect near the cost of the same GET without carried calls.

The value is ``<data>.<issued>.<signature>``:

- ``data``: ``j`` + base64url of the JSON list of ``Call.to_dict()`` entries, or, when that JSON
  is over :data:`COMPRESS_OVER` bytes and compresses smaller, ``z`` + base64url of it
  zlib-compressed (a post/redirect/get carries one or two calls: reading those back stays
  cheap, and twenty still fit in the cookie);
- ``issued``: when it was set, in whole seconds since the epoch (a cookie older than its
  ``max_age`` is refused, whatever the browser kept);
- ``signature``: base64url of HMAC-SHA256 over ``<data>.<issued>``, keyed by a key derived from
  the framework's own secret with a salt naming this purpose (:func:`derive_key`), so no other
  signature made with that secret (a session cookie, a password-reset token) is ever valid here.

It is signed, not encrypted: it holds exactly what the next page shows in its own HTML (event
names, parameters, event ids, identify fields already hashed), never a raw email or phone number.
A value that fails verification, is expired, malformed or too large, or holds an entry the
collector would not have queued is refused as a whole, with one warning that quotes none of it.

Framework-free (stdlib only): the adapters give it the secret, the path and ``Secure``, and send
the header values it builds.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import json
import json.scanner
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from . import carry
from .calls import Call

__all__ = [
    "COOKIE_NAME",
    "MAX_AGE",
    "MAX_COOKIE_BYTES",
    "SALT",
    "CarryCookie",
    "Refused",
    "derive_key",
    "for_secret",
    "private_cache_control",
    "vary_cookie",
]

logger = logging.getLogger(__name__)

#: The cookie's name; private to this library.
COOKIE_NAME = "tiktok_pixel_carry"

#: Seconds a carry is kept: it renders on the very next page, normally within a second.
MAX_AGE = 300

#: Largest ``Set-Cookie`` value we send, name, value and attributes together: RFC 6265 (6.1)
#: asks browsers to keep cookies of at least 4096 bytes counted so, and no more is promised.
MAX_COOKIE_BYTES = 4096

#: Names the purpose of the derived key (see :func:`derive_key`); a new format gets a new salt.
SALT = b"tiktok_pixel.carry_cookie.v1"

#: JSON longer than this is zlib-compressed when that makes it smaller.
COMPRESS_OVER = 512

#: How far in the future ``issued`` may lie: another server of the site may run a little ahead.
_CLOCK_SKEW = 60

_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
#: CPython's JSON scanner, called directly: ``JSONDecoder.decode`` wraps it in two Python frames
#: and two regular-expression matches for surrounding whitespace, which a value we wrote never has.
#: (typeshed declares the scanner's argument as a scanner; CPython takes the decoder.)
_scan_json: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)
_PATH_SAFE = "/!$&'()*+,=:@~-._"


def derive_key(secret: str | bytes) -> bytes:
    """The signing key for carried calls: HMAC-SHA256 of :data:`SALT` keyed by ``secret``.

    A key of its own, so a signature made here is valid nowhere else and none made elsewhere
    with the same secret is valid here.
    """
    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    return hmac.new(raw, SALT, hashlib.sha256).digest()


_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _b64(data: bytes) -> str:
    """Unpadded base64url (``base64.urlsafe_b64encode`` without its Python-level wrappers)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Inverse of :func:`_b64` (only ever given data whose signature was verified)."""
    return binascii.a2b_base64((text + "=" * (-len(text) % 4)).encode().translate(_FROM_URLSAFE))


def _mac(keyed: hmac.HMAC, message: bytes) -> bytes:
    mac = keyed.copy()
    mac.update(message)
    return mac.digest()


class Refused(ValueError):
    """A cookie value that is not a carry we made; its message quotes none of the value."""


class CarryCookie:
    """The carry cookie of one site (one secret, one path): builds and reads its values.

    ``secret`` signs new values; ``fallbacks`` (older secrets, as Flask's and Django's
    ``SECRET_KEY_FALLBACKS``) are still accepted when reading. ``path`` is the app's root (where
    it is mounted); ``secure`` follows the framework's session-cookie setting. Every value is
    ``HttpOnly`` and ``SameSite=Lax`` (sent with top-level GET navigations, which is what
    following a redirect is).
    """

    __slots__ = ("_macs", "_value_budget", "attributes", "deletion", "max_age", "name")

    def __init__(
        self,
        secret: str | bytes,
        *,
        fallbacks: Iterable[str | bytes] = (),
        secure: bool = False,
        path: str = "/",
        max_age: int = MAX_AGE,
        name: str = COOKIE_NAME,
    ) -> None:
        if not secret:
            raise ValueError("the carry cookie needs a non-empty secret")
        keys = (derive_key(secret), *(derive_key(old) for old in fallbacks if old))
        # keyed once: copying a keyed HMAC is about twice as fast as keying it per value
        self._macs = tuple(hmac.new(key, digestmod=hashlib.sha256) for key in keys)
        self.name = name
        self.max_age = max_age
        path = quote(path or "/", safe=_PATH_SAFE)  # ';' or a control character cannot pass
        flags = f"; Path={path}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
        #: What follows ``name=value`` in the ``Set-Cookie`` header of a new carry.
        self.attributes = f"; Max-Age={max_age}{flags}"
        #: The ``Set-Cookie`` value that deletes the cookie: built once, sent as it is.
        self.deletion = f"{name}=; Expires={_EPOCH}; Max-Age=0{flags}"
        self._value_budget = MAX_COOKIE_BYTES - len(name) - 1 - len(self.attributes)

    def __repr__(self) -> str:
        return f"<CarryCookie {self.name} {self.attributes[2:]!r}>"

    # --- writing ---------------------------------------------------------------------------

    def header(self, value: str) -> str:
        """The ``Set-Cookie`` value that stores ``value`` (from :meth:`dumps`)."""
        return f"{self.name}={value}{self.attributes}"

    def dumps(self, calls: Sequence[Call], now: float | None = None) -> str:
        """A signed value holding ``calls``: at most :data:`~tiktok_pixel.carry.MAX_CARRIED`,
        within :data:`MAX_COOKIE_BYTES` with the attributes; the oldest are dropped first, with
        a warning."""
        items = carry.merge(None, calls)
        issued = str(int(time.time() if now is None else now))
        dropped = 0
        while True:
            value = self._sign(f"{self._data(items)}.{issued}")
            if len(value) <= self._value_budget or not items:
                break
            items = items[1:]
            dropped += 1
        if dropped:
            logger.warning(
                "TikTok pixel: the calls carried across redirects did not fit in a %d-byte "
                "cookie; the oldest %d were dropped",
                MAX_COOKIE_BYTES,
                dropped,
            )
        return value

    def merged(self, waiting: str | None, calls: Sequence[Call], now: float | None = None) -> str:
        """A signed value holding the calls of ``waiting`` (a value the visitor sent, if any;
        refused ones count as none) followed by ``calls``."""
        kept = self.loads(waiting, now) if waiting else None
        return self.dumps([*(kept or ()), *calls], now)

    @staticmethod
    def _data(items: list[dict[str, Any]]) -> str:
        text = json.dumps(items, ensure_ascii=False, separators=(",", ":"), default=str)
        raw = text.encode("utf-8")
        if len(raw) > COMPRESS_OVER:
            packed = zlib.compress(raw, 9)
            if len(packed) < len(raw):
                return "z" + _b64(packed)
        return "j" + _b64(raw)

    def _sign(self, head: str) -> str:
        return f"{head}.{_b64(_mac(self._macs[0], head.encode('ascii')))}"

    # --- reading ---------------------------------------------------------------------------

    def loads(self, value: str, now: float | None = None) -> list[Call] | None:
        """The calls ``value`` carries; ``None`` (and one warning) when it is refused."""
        try:
            return self.read(value, now)
        except Refused as exc:
            logger.warning("TikTok pixel: the carry cookie was ignored (%s)", exc)
            return None

    def read(self, value: str, now: float | None = None) -> list[Call]:
        """The calls ``value`` carries; :class:`Refused` says why it is not a carry of ours."""
        if len(value) > MAX_COOKIE_BYTES:
            raise Refused("oversized")
        head, dot, signature = value.rpartition(".")
        data, dot_, issued = head.rpartition(".")
        if not (dot and dot_ and value.isascii()):
            raise Refused("malformed")
        if not self._verified(head.encode("ascii"), signature):
            raise Refused("bad signature")
        if not (issued.isdigit() and len(issued) <= 12):
            raise Refused("malformed")
        age = (time.time() if now is None else now) - int(issued)
        if age > self.max_age or age < -_CLOCK_SKEW:
            raise Refused("expired")
        try:
            text = self._payload(data).decode("utf-8")
            items, end = _scan_json(text, 0)
        except (ValueError, StopIteration, binascii.Error, zlib.error):
            raise Refused("malformed") from None
        if end != len(text):
            raise Refused("malformed")
        if not isinstance(items, list) or len(items) > carry.MAX_CARRIED:
            raise Refused("malformed")
        try:
            return [carry.checked(item) for item in items]
        except (TypeError, ValueError):
            raise Refused("holds a call the collector would not queue") from None

    def _verified(self, signed: bytes, signature: str) -> bool:
        current, *older = self._macs
        if hmac.compare_digest(_b64(_mac(current, signed)), signature):
            return True
        # older keys only when the current one fails (a rotated secret)
        return any(hmac.compare_digest(_b64(_mac(mac, signed)), signature) for mac in older)

    @staticmethod
    def _payload(data: str) -> bytes:
        kind, body = data[:1], _unb64(data[1:])
        if kind == "j":
            return body
        if kind != "z":
            raise ValueError("unknown encoding")
        # signed by us; and 4 KB of zlib data cannot inflate past about 4 MB anyway
        return zlib.decompress(body)


def for_secret(
    secret: str | bytes | None,
    *,
    fallbacks: Iterable[str | bytes] | None = (),
    secure: bool = False,
    path: str = "/",
) -> CarryCookie | None:
    """The :class:`CarryCookie` of a site, made once per distinct arguments (a handful per
    process: one per secret and mount path); ``None`` without a ``secret``.

    Adapters call it per request with their framework's current settings, so a secret set after
    the extension was installed (or changed by a test) is the one used.
    """
    if not secret:
        return None
    return _cached(secret, tuple(fallbacks or ()), bool(secure), path or "/")


@functools.lru_cache(maxsize=32)
def _cached(
    secret: str | bytes, fallbacks: tuple[str | bytes, ...], secure: bool, path: str
) -> CarryCookie:
    return CarryCookie(secret, fallbacks=fallbacks, secure=secure, path=path)


def vary_cookie(existing: str | None) -> str:
    """The ``Vary`` of a response that sets or deletes the carry cookie: ``Cookie`` added."""
    if not existing:
        return "Cookie"
    names = [part.strip().lower() for part in existing.split(",")]
    return existing if "cookie" in names or "*" in names else f"{existing}, Cookie"


def private_cache_control(existing: str | None) -> str:
    """The ``Cache-Control`` of a response that sets or deletes the carry cookie.

    Such a response holds one visitor's calls: it may be kept by that visitor's browser, never
    by a shared cache. ``private`` is added (``public`` and ``s-maxage`` removed) unless the
    response already says ``private`` or ``no-store``.
    """
    if not existing:
        return "private"
    directives = [part.strip() for part in existing.split(",") if part.strip()]
    names = [part.split("=", 1)[0].strip().lower() for part in directives]
    if "private" in names or "no-store" in names:
        return existing
    kept = [
        part
        for part, name in zip(directives, names, strict=True)
        if name not in ("public", "s-maxage")
    ]
    return ", ".join(["private", *kept])
