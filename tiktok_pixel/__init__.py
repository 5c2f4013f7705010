"""tiktok-pixel: the TikTok Pixel for Flask, Django and Jinja, with PII hashed on the server."""

from __future__ import annotations

from .calls import Call
from .collector import PageEvents
from .config import DEFAULT_SDK_URL, PixelConfig
from .fragment import InvalidNonce, render_calls, render_findings
from .hashing import HASHED_FIELDS, IDENTITY_FIELDS, hash_field, hash_identity, sha256_hex
from .jsonscript import script_json
from .pii_detect import key_kind, text_kind
from .pii_policy import PII_POLICIES, PiiError, PrivacySettings, redact_for_display
from .segment import MappedEvent, map_event
from .standard_events import KNOWN_EVENTS, RENAMED_EVENTS, STANDARD_EVENTS, SUNSET_EVENTS
from .url_redact import DEFAULT_URL_PARAMS_ALLOWED
from .validation import RULES, Finding, Rule, check_page, validate_calls, validate_page

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SDK_URL",
    "DEFAULT_URL_PARAMS_ALLOWED",
    "HASHED_FIELDS",
    "IDENTITY_FIELDS",
    "KNOWN_EVENTS",
    "PII_POLICIES",
    "RENAMED_EVENTS",
    "RULES",
    "STANDARD_EVENTS",
    "SUNSET_EVENTS",
    "Call",
    "Finding",
    "InvalidNonce",
    "MappedEvent",
    "PageEvents",
    "PiiError",
    "PixelConfig",
    "PrivacySettings",
    "Rule",
    "__version__",
    "check_page",
    "hash_field",
    "hash_identity",
    "key_kind",
    "map_event",
    "redact_for_display",
    "render_calls",
    "render_findings",
    "script_json",
    "sha256_hex",
    "text_kind",
    "validate_calls",
    "validate_page",
]
