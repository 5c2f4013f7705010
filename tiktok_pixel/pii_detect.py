"""Recognise personal data: emails and phone numbers in text, and keys that name personal data.

The detector runs on every string a tracking call sends, so it is built for the common case of a
clean value: one compiled-regex ``search`` per string (:data:`SUSPECT`) decides whether a string
needs a closer look, and key names are classified once and cached (bounded).

Rules (``docs/privacy.md`` lists them for users):

- **Email**: an ``@`` with at least one local-part character right before it (letters, digits,
  ``.!#$%&'*+/=?^_`{|}~-`` or the ``"`` closing a quoted local part) and a domain right after it of
  one or more dot-separated labels and a top-level label of two or more letters (Unicode letters
  included, so IDNs count) or ``xn--`` punycode. Percent-encoded ``%40`` counts as ``@``. The
  pattern is anchored at each ``@`` and has no nested quantifier that can backtrack more than
  linearly.
- **Phone number**: a run of 7 or more digits with only spaces, dots, dashes, slashes or
  brackets between them (optionally after ``+``), not glued to a word or code before it
  (``ORD-2024-0012345``) or a letter after it, not a date (``2024-01-15``, ``15/01/2024``) and not
  bare digits without ``+`` or a leading ``0`` (``2025550143`` cannot be told from an order id),
  is handed to ``phonenumbers.PhoneNumberMatcher``: with ``+`` a possible number is enough,
  otherwise it must be valid (leniency VALID) in the site's ``default_phone_region`` or, without
  one, in any of US, GB, DE, FR, IN. A string with more than 32 such runs, or a run longer than
  64 characters, counts as PII.
- **Keys**: a key is split into lowercase word segments (``_``, ``-``, ``.``, spaces, camelCase,
  digits); it names personal data when one, two or three adjacent segments joined spell a word of
  :data:`KEY_WORDS` (``user_email``, ``billingPhone``, ``e-mail``, ``first_name``, ``zipCode``),
  unless the last segment is a qualifier (:data:`QUALIFIERS`: ``email_verified``,
  ``phone_type``) or the first is ``has``/``is``. ``shipping``, ``tip`` or ``unzip_count`` do not
  match: ``ip`` and ``zip`` must be whole segments.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final
from urllib.parse import unquote_plus

import phonenumbers

#: The identify field a key kind is routed to under the ``"hash"`` policy (top-level only).
IDENTIFY_FIELD: Final[dict[str, str]] = {
    "email": "email",
    "phone": "phone_number",
    "first_name": "first_name",
    "last_name": "last_name",
    "zip": "zip_code",
}

#: Joined key segments -> the kind of personal data the key names.
KEY_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(("email", "emails", "emailaddress", "emailaddr"), "email"),
    **dict.fromkeys(
        (
            "phone",
            "phones",
            "phonenumber",
            "phoneno",
            "phonenum",
            "phonenr",
            "telephone",
            "telephonenumber",
            "tel",
            "telno",
            "telnr",
            "mobile",
            "mobilenumber",
            "mobilephone",
            "mobileno",
            "cellphone",
            "cellnumber",
            "msisdn",
            "fax",
            "faxnumber",
            "whatsapp",
        ),
        "phone",
    ),
    **dict.fromkeys(
        ("firstname", "fname", "givenname", "forename", "forenames", "christianname"),
        "first_name",
    ),
    **dict.fromkeys(("lastname", "lname", "surname", "familyname"), "last_name"),
    **dict.fromkeys(
        (
            "fullname",
            "middlename",
            "maidenname",
            "customername",
            "clientname",
            "buyername",
            "recipientname",
            "contactname",
            "cardholder",
            "cardholdername",
            "holdername",
            "accountholder",
            "billingname",
            "shippingname",
            "personname",
            "membername",
            "username",
        ),
        "name",
    ),
    **dict.fromkeys(
        (
            "address",
            "addresses",
            "addr",
            "streetaddress",
            "street",
            "addressline",
            "housenumber",
            "apartment",
        ),
        "address",
    ),
    **dict.fromkeys(("zip", "zipcode", "postcode", "postalcode", "postal", "plz"), "zip"),
    **dict.fromkeys(
        (
            "ssn",
            "socialsecurity",
            "socialsecuritynumber",
            "nationalid",
            "nationalidnumber",
            "taxid",
            "passport",
            "passportnumber",
            "nino",
            "driverslicense",
            "driverlicense",
        ),
        "national_id",
    ),
    **dict.fromkeys(("ip", "ipaddress", "ipaddr", "ipv4", "ipv6", "remoteaddr"), "ip"),
    **dict.fromkeys(("dob", "birthdate", "dateofbirth", "birthday"), "birth_date"),
}

#: A last key segment that makes the key describe the data rather than hold it.
QUALIFIERS: Final[frozenset[str]] = frozenset(
    {
        "count",
        "counts",
        "verified",
        "valid",
        "validated",
        "confirmed",
        "opt",
        "optin",
        "optout",
        "consent",
        "consented",
        "subscribed",
        "enabled",
        "type",
        "types",
        "kind",
        "domain",
        "provider",
        "format",
        "status",
        "length",
        "len",
        "present",
        "provided",
        "known",
        "sent",
        "required",
        "changed",
        "updated",
        "field",
        "label",
        "app",
        "os",
        "version",
        "country",
        "region",
    }
)
#: A first key segment that makes the key a flag about the data (``has_email``, ``is_mobile``).
_FLAG_PREFIXES: Final[frozenset[str]] = frozenset({"has", "is"})

_SEGMENTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^\W\d_]+")

#: One search decides whether a string needs a closer look: an ``@``, a ``%`` (percent-encoding),
#: a ``?``/``#`` (a URL's query or fragment) or seven digits with phone separators between them.
#: The first item is a plain character class, so the engine skips letters quickly; the
#: look-behind after it refuses a digit glued to a word or code (``ORD-2024-0012345``).
SUSPECT: Final = re.compile(r"[@%?#]|[+(0-9](?<![\w\-/.][0-9])(?:[ .\-/()]{0,3}[0-9]){6}").search
#: A cheaper screen for the commonest clean string, an id or code like ``ORD-2025-0012345``: an
#: ASCII letter (or ``_``) first, then only ASCII letters, digits and ``_ - / .``. Such a string
#: cannot match :data:`SUSPECT`: it has no ``@ % ? # + (`` and every digit in it follows a
#: character of ``[\w\-/.]``, which the look-behind refuses. One possessive class of ASCII
#: ranges (a bitmap test per character, no Unicode lookups), no alternation, so it costs a
#: fraction of a :data:`SUSPECT` search; anything else (non-ASCII text included) is left to
#: :data:`SUSPECT`.
PLAIN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_\-/.]*+").fullmatch

_LOCAL_CHARS: Final[frozenset[str]] = frozenset(".!#$%&'*+/=?^_`{|}~-\"")
#: A domain after the ``@``: labels with dots, then a top-level label of letters (or punycode).
#: Each label is deterministic (``[\w-]`` excludes ``.``) and the outer group backtracks at most
#: once per label, so matching is linear in the domain length.
_DOMAIN: Final = re.compile(r"(?:[^\W_][\w-]*+\.)+(?:[^\W\d_]{2,}|xn--[\w-]+)")
#: A maximal run of digits and phone separators (one character class, so no backtracking);
#: each run is then checked in Python: enough digits, not glued to letters, not a date.
_PHONE_RUN: Final = re.compile(r"\+?[0-9(][0-9 .\-/()]*")
_GLUE_BEFORE: Final[frozenset[str]] = frozenset("-/.+_")
#: Runs longer than this are not handed to the matcher; unless bare digits, they count as PII.
MAX_RUN_LENGTH: Final = 64
#: A date (ISO or day/month/year), optionally with the hour of a time after it.
_DATE: Final = re.compile(
    r"(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{2,4})"
    r"(?: [0-9]{1,2})?"
)
_HEX64: Final = re.compile(r"[0-9a-fA-F]{64}")
#: Scanning stops after this many phone-like runs in one string; such a string counts as PII.
MAX_PHONE_RUNS: Final = 32
#: Without ``default_phone_region``, national numbers count when valid in any of these regions.
FALLBACK_REGIONS: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IN")

KEY_CACHE: dict[object, str | None] = {}
#: The cached keys that name nothing personal: ``CLEAN_KEYS.issuperset(d)`` clears a whole
#: object's keys in one C-level call.
CLEAN_KEYS: set[object] = set()
_KEY_CACHE_SIZE: Final = 4096


def key_kind(key: object) -> str | None:
    """The kind of personal data ``key`` names (``"email"``, ``"phone"``, …), or ``None``.

    Cached for up to 4,096 distinct keys; keys that themselves hold an email or phone number are
    reported as ``"key"`` and never cached.
    """
    try:
        return KEY_CACHE[key]
    except KeyError:
        pass
    except TypeError:  # unhashable: not a key any JSON object has
        return None
    kind = _classify_key(key)
    if kind == "key":
        return kind
    if len(KEY_CACHE) < _KEY_CACHE_SIZE:
        KEY_CACHE[key] = kind
        if kind is None:
            CLEAN_KEYS.add(key)
    return kind


def _classify_key(key: object) -> str | None:
    if not isinstance(key, str):
        return None
    if len(key) > 200:
        return "key" if text_kind(key) else None
    if SUSPECT(key) is not None and text_kind(key):
        return "key"
    segments = [segment.lower() for segment in _SEGMENTS.findall(key)]
    if not segments or segments[-1] in QUALIFIERS or segments[0] in _FLAG_PREFIXES:
        return None
    count = len(segments)
    for start in range(count):
        word = ""
        for end in range(start, min(start + 3, count)):
            word += segments[end]
            kind = KEY_WORDS.get(word)
            if kind is not None:
                return kind
    return None


def is_hashed(text: str) -> bool:
    """True for a SHA-256 hex digest (already hashed, so not raw PII)."""
    return len(text) == 64 and _HEX64.fullmatch(text) is not None


def has_email(text: str) -> bool:
    """True if ``text`` holds an email address (see the module docstring for the rule)."""
    at = text.find("@")
    while at != -1:
        if at > 0:
            before = text[at - 1]
            if (before.isalnum() or before in _LOCAL_CHARS) and _DOMAIN.match(text, at + 1):
                return True
        at = text.find("@", at + 1)
    return False


def has_phone(text: str, region: str | None = None) -> bool:
    """True if ``text`` holds a phone number ``phonenumbers`` finds valid (see module docstring)."""
    runs = 0
    for match in _PHONE_RUN.finditer(text):
        run = match.group().rstrip(" .-/(")
        digits = sum(1 for ch in run if "0" <= ch <= "9")
        if digits < 7:
            continue
        start, end = match.start(), match.start() + len(run)
        if start and (text[start - 1].isalnum() or text[start - 1] in _GLUE_BEFORE):
            continue  # part of a word or code: "ORD-2024-0012345", "x1234567"
        if end < len(text) and text[end].isalpha():
            continue
        if run.isdigit() and run[0] != "0":
            continue  # bare digits: an order id as much as a phone number
        if _DATE.fullmatch(run):
            continue
        runs += 1
        if runs > MAX_PHONE_RUNS or len(run) > MAX_RUN_LENGTH:
            return True
        if any(_matches_phone(run, one) for one in ((region,) if region else FALLBACK_REGIONS)):
            return True
    return False


@lru_cache(maxsize=2048)
def _matches_phone(run: str, region: str) -> bool:
    # A run written with "+" is unmistakably meant as a phone number: a possible number is
    # enough (fictional ranges such as UK 07700 900xxx are possible, not valid). Otherwise the
    # number must be valid in the region, so product codes and amounts are not taken for one.
    leniency = phonenumbers.Leniency.POSSIBLE if run[0] == "+" else phonenumbers.Leniency.VALID
    matcher = phonenumbers.PhoneNumberMatcher(run, region, leniency=leniency, max_tries=4)
    return matcher.has_next()


def text_kind(text: str, region: str | None = None) -> str | None:
    """``"email"`` or ``"phone"`` if ``text`` holds one (also percent-encoded), else ``None``."""
    if SUSPECT(text) is None:
        return None
    return _text_kind(text, region, decode=True)


def _text_kind(text: str, region: str | None, *, decode: bool) -> str | None:
    if "@" in text and has_email(text):
        return "email"
    if has_phone(text, region):
        return "phone"
    if decode and "%" in text:
        decoded = unquote_plus(text)
        if decoded != text:
            return _text_kind(decoded, region, decode=False)
    return None


def value_is_pii(value: object, region: str | None = None) -> bool:
    """True for a string holding an email or phone number (already-hashed digests are not)."""
    if type(value) is not str or SUSPECT(value) is None or is_hashed(value):
        return False
    return _text_kind(value, region, decode=True) is not None
