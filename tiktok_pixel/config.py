"""``PixelConfig``: every site-wide setting, validated once into a frozen dataclass.

Configuration errors are programming errors, so they raise ``ValueError`` at start-up with a
message that names the setting and the bad value. The text rendered from a configuration is
cached by :mod:`tiktok_pixel.fragment`, not stored here: this is plain validated settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers

from .currencies import SUPPORTED_CURRENCIES
from .mapping_spec import build_mappings
from .mappings import DEFAULT_MAPPING_CONFIG, MappingConfig
from .pii_policy import PiiPolicy, PrivacySettings
from .url_redact import DEFAULT_URL_PARAMS_ALLOWED

#: TikTok's SDK URL; ``load()`` appends ``?sdkid=<code>&lib=ttq``.
DEFAULT_SDK_URL = "https://analytics.tiktok.com/i18n/pixel/events.js"

#: TikTok publishes no pixel-code format. Every code seen is 20 characters of A-Z and 0-9
#: (unconfirmed: they fit base32hex of a 12-byte id); we accept 16 to 24 to leave room.
PIXEL_CODE_RE = re.compile(r"[A-Z0-9]{16,24}")
_URL_RE = re.compile(r"(https?://[A-Za-z0-9.-]+(:[0-9]+)?)?/[A-Za-z0-9._~/%+-]*")

ConsentMode = Literal["hold"]


def normalise_pixel_code(code: object) -> str:
    """``code`` trimmed and uppercased, or ``ValueError`` if it cannot be a pixel code."""
    text = code.strip().upper() if isinstance(code, str) else None
    if text is None or not PIXEL_CODE_RE.fullmatch(text):
        raise ValueError(
            f"invalid TikTok pixel code {code!r}: a pixel code is 16 to 24 letters A-Z and "
            "digits 0-9 (TikTok's are 20, like 'C3MV4QR3G487IS97GFI0'); copy it from "
            "TikTok Events Manager > Data sources"
        )
    return text


def _codes(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    try:
        items = list(items)
    except TypeError:
        raise ValueError(
            f"pixel_codes must be a string or a list of strings, not {value!r}"
        ) from None
    return tuple(dict.fromkeys(normalise_pixel_code(item) for item in items))


def _require_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {value!r}")


def _check_url(name: str, value: object) -> str:
    if not isinstance(value, str) or not _URL_RE.fullmatch(value):
        raise ValueError(
            f"{name} must be an http(s) URL or an absolute path without query or fragment "
            f"(like '/static/events.js'), not {value!r}"
        )
    return value


@dataclass(frozen=True)
class PixelConfig:
    """Site-wide TikTok Pixel settings.

    ``pixel_codes`` takes one code or several; with several, every call is routed to each pixel
    through ``ttq.instance(code)``. ``use_existing_pixel`` renders no loader and hands the calls
    to the ``window.ttq`` already on the page (or one that appears within 10 s).
    ``consent="hold"`` renders ``ttq.holdConsent()`` so nothing is sent before the page calls
    ``ttq.grantConsent()``. ``inline=False`` renders no inline JavaScript: the calls go into a
    JSON data block read by ``static/tiktok_pixel.js`` served at ``runtime_url``.
    """

    pixel_codes: tuple[str, ...] = ()
    use_existing_pixel: bool = False
    auto_page_view: bool = True
    limited_data_use: bool = False
    consent: ConsentMode | None = None
    default_currency: str | None = None
    default_phone_region: str | None = None
    sdk_url: str = DEFAULT_SDK_URL
    inline: bool = True
    runtime_url: str | None = None
    #: Segment-spec event mappings: a spec (dict/list, as JSON gives it) or a ``MappingConfig``;
    #: validated into a ``MappingConfig``. See :mod:`tiktok_pixel.mappings`.
    mappings: MappingConfig | Mapping[str, Any] | Sequence[Any] | None = DEFAULT_MAPPING_CONFIG
    #: Log the validator's findings (tiktok_pixel.validation) on each render; never PII.
    debug: bool = False
    #: What ``track()`` does with personal data found in params: "hash", "drop" or "raise"
    #: (tiktok_pixel.pii_policy); URL query parameters matching ``url_params_allowed`` (glob
    #: patterns) are never touched.
    pii_policy: PiiPolicy = "hash"
    url_params_allowed: Sequence[str] = DEFAULT_URL_PARAMS_ALLOWED

    #: The two settings above (and default_phone_region), validated: what the guard reads.
    privacy: PrivacySettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "pixel_codes", _codes(self.pixel_codes))
        for name in ("use_existing_pixel", "auto_page_view", "limited_data_use", "inline", "debug"):
            _require_bool(name, getattr(self, name))
        if not self.pixel_codes and not self.use_existing_pixel:
            raise ValueError(
                "a TikTok pixel code is required (pixel_codes), unless use_existing_pixel is set"
            )
        if self.consent not in (None, "hold"):
            raise ValueError(f"consent must be None or 'hold', not {self.consent!r}")
        if self.default_currency is not None:
            code = str(self.default_currency).strip().upper()
            if code not in SUPPORTED_CURRENCIES:
                raise ValueError(
                    f"default_currency {self.default_currency!r} is not an ISO 4217 code TikTok "
                    "supports (e.g. 'USD', 'EUR', 'GBP')"
                )
            set_(self, "default_currency", code)
        if self.default_phone_region is not None:
            region = str(self.default_phone_region).strip().upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(
                    f"default_phone_region {self.default_phone_region!r} is not an ISO 3166 "
                    "two-letter region phonenumbers knows (e.g. 'US', 'GB', 'DE')"
                )
            set_(self, "default_phone_region", region)
        privacy = PrivacySettings(
            self.pii_policy, self.url_params_allowed, self.default_phone_region
        )
        set_(self, "privacy", privacy)
        set_(self, "url_params_allowed", privacy.url_params_allowed)
        set_(self, "mappings", build_mappings(self.mappings, auto_page_view=self.auto_page_view))
        _check_url("sdk_url", self.sdk_url)
        if self.runtime_url is not None:
            _check_url("runtime_url", self.runtime_url)
        elif not self.inline:
            raise ValueError(
                "inline=False needs runtime_url: the URL where static/tiktok_pixel.js is served "
                "(the Flask and Django integrations set it for you)"
            )

    def payload_settings(self) -> dict[str, Any]:
        """The page-independent part of the payload the runtime reads; defaults are left out."""
        settings: dict[str, Any] = {"pixels": list(self.pixel_codes)}
        if self.sdk_url != DEFAULT_SDK_URL:
            settings["sdk"] = self.sdk_url
        if self.limited_data_use:
            settings["options"] = {"limited_data_use": True}
        if self.consent == "hold":
            settings["hold"] = True
        if not self.auto_page_view:
            settings["page"] = False
        if self.use_existing_pixel:
            settings["existing"] = True
        return settings

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any], *, source: str = "settings") -> PixelConfig:
        """Build from a dict of field names, rejecting unknown keys with a helpful message."""
        known = {f.name for f in cls.__dataclass_fields__.values() if f.init}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(
                f"unknown TikTok pixel option(s) in {source}: {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(known))}"
            )
        return cls(**settings)
