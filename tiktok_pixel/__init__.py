"""tiktok-pixel: the TikTok Pixel for Flask, Django and Jinja, with PII hashed on the server."""

from __future__ import annotations

from .calls import Call
from .collector import PageEvents
from .config import DEFAULT_SDK_URL, PixelConfig
from .hashing import HASHED_FIELDS, IDENTITY_FIELDS, hash_field, hash_identity, sha256_hex
from .jsonscript import script_json
from .render import InvalidNonce, render_calls
from .segment import MappedEvent, map_event
from .standard_events import KNOWN_EVENTS, RENAMED_EVENTS, STANDARD_EVENTS, SUNSET_EVENTS

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SDK_URL",
    "HASHED_FIELDS",
    "IDENTITY_FIELDS",
    "KNOWN_EVENTS",
    "RENAMED_EVENTS",
    "STANDARD_EVENTS",
    "SUNSET_EVENTS",
    "Call",
    "InvalidNonce",
    "MappedEvent",
    "PageEvents",
    "PixelConfig",
    "__version__",
    "hash_field",
    "hash_identity",
    "map_event",
    "render_calls",
    "script_json",
    "sha256_hex",
]
