"""Normalise and SHA-256 hash the matching fields of ``ttq.identify``, on the server.

Each field is normalised the way TikTok documents (or, where TikTok is silent, the way its own
templates and the main integrations do), then hashed as lowercase hex. Raw values never leave
this module: invalid ones are dropped and reported by field name only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

#: The identify keys, in the order they are rendered.
IDENTITY_FIELDS: tuple[str, ...] = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "city",
    "state",
    "country",
    "zip_code",
)

#: Fields sent as SHA-256 digests. city, state and country are sent normalised but unhashed:
#: TikTok's own pages do not say (unconfirmed), and Segment, Stape and TikTok's WooCommerce plugin
#: all send them in clear, so we do the same.
HASHED_FIELDS: frozenset[str] = frozenset(
    {"email", "phone_number", "external_id", "first_name", "last_name", "zip_code"}
)

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_WHITESPACE = re.compile(r"\s+")


class InvalidIdentity(ValueError):
    """A matching field whose value cannot be used; the message never holds the value."""


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_sha256_hex(value: str) -> bool:
    """True for a 64-character hex string: TikTok's templates treat it as already hashed."""
    return len(value) == 64 and _HEX64.fullmatch(value) is not None


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidIdentity("expected a string")
    return str(value)


def normalise_email(value: object) -> str:
    """Trimmed and lowercased; must look like ``local@domain.tld``."""
    email = _text(value).strip().lower()
    if not _EMAIL.fullmatch(email):
        raise InvalidIdentity("not an email address")
    return email


@lru_cache(maxsize=4096)
def _parse_phone(text: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentity("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentity("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone(value: object, default_region: str | None = None) -> str:
    """E.164 (``+`` country code, digits only) via ``phonenumbers``.

    ``default_region`` (ISO 3166 alpha-2, e.g. ``"GB"``) reads numbers written without ``+``.
    TikTok's GTM help says numbers with country code 86 go without it; that conflicts with E.164
    and is unconfirmed, so we send E.164 for every country.
    """
    text = _text(value).strip()
    if not text:
        raise InvalidIdentity("empty")
    return _parse_phone(text, default_region)


def normalise_external_id(value: object) -> str:
    """Trimmed only. Whether TikTok lowercases external ids is unconfirmed, so we keep case
    (TikTok's own Events API template does not lowercase); the Events API client uses the same."""
    return _text(value).strip()


def normalise_name(value: object) -> str:
    """First or last name: lowercased, all whitespace removed."""
    return _WHITESPACE.sub("", _text(value)).lower()


def normalise_zip(value: object) -> str:
    """Postal code: lowercased, all whitespace removed."""
    return _WHITESPACE.sub("", _text(value)).lower()


def normalise_location(value: object) -> str:
    """City, state or country: lowercased, keeping only letters and digits."""
    return "".join(ch for ch in _text(value).lower() if ch.isalnum())


_NORMALISERS: dict[str, Callable[[object], str]] = {
    "email": normalise_email,
    "external_id": normalise_external_id,
    "first_name": normalise_name,
    "last_name": normalise_name,
    "city": normalise_location,
    "state": normalise_location,
    "country": normalise_location,
    "zip_code": normalise_zip,
}


@lru_cache(maxsize=8192)
def _hash_cached(field: str, value: str | int, region: str | None) -> str:
    if field == "phone_number":
        normalised = normalise_phone(value, region)
    else:
        normalised = _NORMALISERS[field](value)
    if not normalised:
        raise InvalidIdentity("empty")
    return sha256_hex(normalised) if field in HASHED_FIELDS else normalised


def hash_field(field: str, value: object, *, default_phone_region: str | None = None) -> str:
    """The value to send for ``field``: normalised, and hashed if the field is hashed.

    A value that already is a 64-character hex digest is passed through (lowercased), never
    hashed twice. Raises :class:`InvalidIdentity` (without the value in the message) for values
    that cannot be used, including empty ones: the SHA-256 of "" must never be sent.
    """
    if field not in _NORMALISERS and field != "phone_number":
        raise KeyError(field)
    if isinstance(value, str) and field in HASHED_FIELDS and is_sha256_hex(value.strip()):
        return value.strip().lower()
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidIdentity("expected a string")
    return _hash_cached(field, value, default_phone_region)


@dataclass(frozen=True, slots=True)
class HashedIdentity:
    """The outcome of hashing a set of identify fields."""

    fields: dict[str, str]
    #: ``(field, reason)`` for each value that was dropped; reasons never quote the value.
    dropped: tuple[tuple[str, str], ...] = ()


def hash_identity(
    values: Mapping[str, object], *, default_phone_region: str | None = None
) -> HashedIdentity:
    """Normalise and hash every non-empty field of ``values`` (see :data:`IDENTITY_FIELDS`)."""
    fields: dict[str, str] = {}
    dropped: list[tuple[str, str]] = []
    for field in IDENTITY_FIELDS:
        value = values.get(field)
        if value is None or value == "":
            continue
        try:
            fields[field] = hash_field(field, value, default_phone_region=default_phone_region)
        except InvalidIdentity as exc:
            dropped.append((field, str(exc)))
        except Exception as exc:  # e.g. a phonenumbers failure: drop the field, keep the rest
            dropped.append((field, f"unexpected {type(exc).__name__}"))
    return HashedIdentity(fields, tuple(dropped))
