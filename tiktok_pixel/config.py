"""``PixelConfig``: every site-wide setting, validated once into a frozen dataclass.

Configuration errors are programming errors, so they raise ``ValueError`` at start-up with a
message that names the setting and the bad value. The text rendered from a configuration is
cached by :mod:`tiktok_pixel.fragment`, not stored here: this is plain validated settings.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import phonenumbers

from .currencies import SUPPORTED_CURRENCIES
from .mapping_spec import build_mappings, page_view_mapping
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


def _same_name(setting: str) -> str:
    return setting


class SettingError(ValueError):
    """An invalid setting, with the message in words any front end can respell.

    ``setting`` is the field name (``"pixel_codes"``) of a ``PixelConfig`` (or an
    ``EventsApiConfig``). :meth:`spelled` renders the message with the names the user wrote:
    ``--pixel-code`` on the command line, ``TIKTOK_PIXEL_CODE`` in Flask, ``PIXEL_CODE`` in
    Django. ``str()`` names each setting by ``default(field_name)``: the field name itself.
    """

    def __init__(
        self,
        setting: str,
        describe: Callable[[Callable[[str], str]], str],
        default: Callable[[str], str] = _same_name,
    ) -> None:
        self.setting = setting
        self._describe = describe
        super().__init__(describe(default))

    def spelled(self, name: Callable[[str], str]) -> str:
        """The message with each setting named by ``name(field_name)``."""
        return self._describe(name)


#: What a pixel code looks like, for the messages about one that does not.
_CODE_RULE = (
    "a pixel code is 16 to 24 letters A-Z and digits 0-9 (TikTok's are 20, like "
    "'C3MV4QR3G487IS97GFI0'); copy it from TikTok Events Manager > Data sources"
)


def _pixel_code(code: object) -> str | None:
    text = code.strip().upper() if isinstance(code, str) else None
    return text if text is not None and PIXEL_CODE_RE.fullmatch(text) else None


def normalise_pixel_code(code: object) -> str:
    """``code`` trimmed and uppercased, or ``ValueError`` if it cannot be a pixel code."""
    text = _pixel_code(code)
    if text is None:
        raise ValueError(f"invalid TikTok pixel code {code!r}: {_CODE_RULE}")
    return text


def _codes(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    try:
        items = list(items)
    except TypeError:
        raise SettingError(
            "pixel_codes",
            lambda n: f"{n('pixel_codes')} must be a string or a list of strings, not {value!r}",
        ) from None
    codes = [_pixel_code(item) for item in items]
    bad = ", ".join(repr(item) for item, code in zip(items, codes, strict=True) if code is None)
    if bad:
        plural = "s" if sum(code is None for code in codes) > 1 else ""
        raise SettingError(
            "pixel_codes",
            lambda n: f"{n('pixel_codes')}: invalid TikTok pixel code{plural} {bad}: {_CODE_RULE}",
        )
    return tuple(dict.fromkeys(code for code in codes if code is not None))


def _require_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise SettingError(name, lambda n: f"{n(name)} must be True or False, not {value!r}")


def _check_url(name: str, value: object) -> str:
    if not isinstance(value, str) or not _URL_RE.fullmatch(value):
        raise SettingError(
            name,
            lambda n: (
                f"{n(name)} must be an http(s) URL or an absolute path without query or "
                f"fragment (like '/static/events.js'), not {value!r}"
            ),
        )
    return value


@dataclass(frozen=True, init=False)
class PixelConfig:
    """Site-wide TikTok Pixel settings.

    ``pixel_codes`` takes one code or several (any sequence of strings; kept as a tuple); with
    several, every call is routed to each pixel through ``ttq.instance(code)``.
    ``use_existing_pixel`` renders no loader and hands the calls to the ``window.ttq`` already
    on the page (or one that appears within 10 s). ``consent="hold"`` renders
    ``ttq.holdConsent()`` so nothing is sent before the page calls ``ttq.grantConsent()``.
    ``inline=False`` renders no inline JavaScript: the calls go into a JSON data block read by
    ``static/tiktok_pixel.js`` served at ``runtime_url``. Invalid settings raise
    :class:`SettingError` (a ``ValueError``) naming the setting.
    """

    #: The pixel codes, trimmed, uppercased and deduplicated.
    pixel_codes: tuple[str, ...]
    use_existing_pixel: bool
    auto_page_view: bool
    limited_data_use: bool
    consent: ConsentMode | None
    default_currency: str | None
    default_phone_region: str | None
    sdk_url: str
    inline: bool
    runtime_url: str | None
    #: Segment-spec event mappings, validated into a ``MappingConfig``.
    #: See :mod:`tiktok_pixel.mappings`.
    mappings: MappingConfig
    #: Log the validator's findings (tiktok_pixel.validation) on each render; never PII.
    debug: bool
    #: What ``track()`` does with personal data found in params: "hash", "drop" or "raise"
    #: (tiktok_pixel.pii_policy); URL query parameters matching ``url_params_allowed`` (glob
    #: patterns) are never touched.
    pii_policy: PiiPolicy
    url_params_allowed: tuple[str, ...]

    #: The two settings above (and default_phone_region), validated: what the guard reads.
    privacy: PrivacySettings = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        pixel_codes: str | Sequence[str] | None = (),
        *,
        use_existing_pixel: bool = False,
        auto_page_view: bool = True,
        limited_data_use: bool = False,
        consent: ConsentMode | None = None,
        default_currency: str | None = None,
        default_phone_region: str | None = None,
        sdk_url: str = DEFAULT_SDK_URL,
        inline: bool = True,
        runtime_url: str | None = None,
        mappings: MappingConfig | Mapping[str, Any] | Sequence[Any] | None = DEFAULT_MAPPING_CONFIG,
        debug: bool = False,
        pii_policy: PiiPolicy = "hash",
        url_params_allowed: str | Sequence[str] = DEFAULT_URL_PARAMS_ALLOWED,
    ) -> None:
        """Validate every setting; ``mappings`` is a spec (dict/list, as JSON gives it) or a
        ``MappingConfig``."""
        set_ = object.__setattr__
        set_(self, "pixel_codes", _codes(pixel_codes))
        flags = {
            "use_existing_pixel": use_existing_pixel,
            "auto_page_view": auto_page_view,
            "limited_data_use": limited_data_use,
            "inline": inline,
            "debug": debug,
        }
        for name, flag in flags.items():
            _require_bool(name, flag)
            set_(self, name, flag)
        if not self.pixel_codes and not use_existing_pixel:
            raise SettingError(
                "pixel_codes",
                lambda n: (
                    f"{n('pixel_codes')} is required, unless {n('use_existing_pixel')} is set"
                ),
            )
        if consent not in (None, "hold"):
            raise SettingError(
                "consent", lambda n: f"{n('consent')} must be None or 'hold', not {consent!r}"
            )
        set_(self, "consent", consent)
        if default_currency is not None:
            currency = str(default_currency).strip().upper()
            if currency not in SUPPORTED_CURRENCIES:
                raise SettingError(
                    "default_currency",
                    lambda n: (
                        f"{n('default_currency')} {default_currency!r} is not an ISO 4217 "
                        "code TikTok supports (e.g. 'USD', 'EUR', 'GBP')"
                    ),
                )
            default_currency = currency
        set_(self, "default_currency", default_currency)
        if default_phone_region is not None:
            region = str(default_phone_region).strip().upper()
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise SettingError(
                    "default_phone_region",
                    lambda n: (
                        f"{n('default_phone_region')} {default_phone_region!r} is not an "
                        "ISO 3166 two-letter region phonenumbers knows (e.g. 'US', 'GB', 'DE')"
                    ),
                )
            default_phone_region = region
        set_(self, "default_phone_region", default_phone_region)
        try:
            privacy = PrivacySettings(pii_policy, url_params_allowed, default_phone_region)
        except ValueError as exc:
            message = str(exc)
            name = "pii_policy" if message.startswith("pii_policy") else "url_params_allowed"
            raise SettingError(name, lambda n: n(name) + message.removeprefix(name)) from None
        set_(self, "privacy", privacy)
        set_(self, "pii_policy", privacy.policy)
        set_(self, "url_params_allowed", privacy.url_params_allowed)
        try:
            built = build_mappings(mappings, auto_page_view=False)  # the clash: below
        except ValueError as exc:
            detail = str(exc).removeprefix("mappings")
            raise SettingError("mappings", lambda n: n("mappings") + detail) from None
        clash = page_view_mapping(built) if auto_page_view else None
        if clash is not None:
            raise SettingError(
                "mappings",
                lambda n: (
                    f"{n('mappings')}: mapping {clash!r}: field event: 'Pageview' for every page "
                    f"event and {n('auto_page_view')}'s ttq.page() would count each page view "
                    f"twice; set {n('auto_page_view')} to False"
                ),
            )
        set_(self, "mappings", built)
        set_(self, "sdk_url", _check_url("sdk_url", sdk_url))
        if runtime_url is not None:
            _check_url("runtime_url", runtime_url)
        elif not inline:
            raise SettingError(
                "runtime_url",
                lambda n: (
                    f"{n('inline')}=False needs {n('runtime_url')}: the URL where "
                    "static/tiktok_pixel.js is served (the Flask and Django integrations set it "
                    "for you)"
                ),
            )
        set_(self, "runtime_url", runtime_url)

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
            close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"unknown TikTok pixel option(s) in {source}: {', '.join(unknown)}; "
                f"{hint}known options are {', '.join(sorted(known))}"
            )
        return cls(**settings)
