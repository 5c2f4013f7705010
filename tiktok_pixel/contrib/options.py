"""The options every framework integration takes, and the one builder that validates them.

Django reads them as keys of one ``TIKTOK_PIXEL`` dict (``{"PIXEL_CODE": …, "USE_EXISTING": …}``),
Flask as config keys with a ``TIKTOK_PIXEL_`` prefix (``TIKTOK_PIXEL_CODE``, …), Starlette as
keyword arguments of its middleware (``pixel_code=…``, ``use_existing_pixel=…``). One table, so
all accept exactly the same options, and one builder, :func:`read_options`, that turns them into
a validated :class:`SiteOptions` (what the :class:`~tiktok_pixel.lifecycle.Site` is made of). A
:class:`Spelling` says how a front end writes each option, so every message names the setting as
the user wrote it, never a ``PixelConfig`` field.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..config import PixelConfig, SettingError
from ..handoff import (
    ConsentFunction,
    build_mirror,
    consent_hold_unanswered,
    events_api_config,
    warn_consent_hold,
)
from ..lifecycle import NonceFunction, Site

if TYPE_CHECKING:
    from ..events_api import EventsApiConfig, EventsApiMirror

#: Option name (Django spelling) -> ``PixelConfig`` field.
CONFIG_OPTIONS: dict[str, str] = {
    "PIXEL_CODE": "pixel_codes",
    "USE_EXISTING": "use_existing_pixel",
    "AUTO_PAGE_VIEW": "auto_page_view",
    "LIMITED_DATA_USE": "limited_data_use",
    "CONSENT": "consent",
    "DEFAULT_CURRENCY": "default_currency",
    "DEFAULT_PHONE_REGION": "default_phone_region",
    "SDK_URL": "sdk_url",
    "INLINE": "inline",
    "MAPPINGS": "mappings",
    "DEBUG": "debug",
    "PII_POLICY": "pii_policy",
    "URL_PARAMS_ALLOWED": "url_params_allowed",
}

#: Options the integrations themselves read (not part of ``PixelConfig``).
INTEGRATION_OPTIONS: frozenset[str] = frozenset(
    {
        "ENABLED",  # False renders nothing
        "AUTO_INJECT",  # insert the fragment before </head> of HTML responses
        "NONCE",  # callable(request) -> CSP nonce, when no CSP library provides one
        "EVENTS_API",  # server-side mirroring through TikTok's Events API
        "CONSENT_GRANTED",  # callable(request) -> bool: may the server mirror under consent hold
    }
)

ALL_OPTIONS: frozenset[str] = frozenset(CONFIG_OPTIONS) | INTEGRATION_OPTIONS

#: What each option does, in one line: the source of the documentation's settings reference
#: (``docs/gen_pages.py``). A test fails when an option has no entry here.
OPTION_HELP: dict[str, str] = {
    "PIXEL_CODE": "one pixel code or a list; with several, every call goes to each pixel "
    "through `ttq.instance(code)`. Required unless `USE_EXISTING` is set (or the "
    "integration is disabled)",
    "USE_EXISTING": "render no loader, no `load()`, no `page()`: hand the calls to the "
    "`window.ttq` already on the page, or to one that appears within 10 s (a tag manager)",
    "AUTO_PAGE_VIEW": "call `ttq.page()` once after loading each pixel",
    "LIMITED_DATA_USE": "load with `{limited_data_use: true}`",
    "CONSENT": '`"hold"`: `ttq.holdConsent()` before `load`, so nothing is sent until the page '
    "calls `ttq.grantConsent()`",
    "DEFAULT_CURRENCY": "currency for a `value` given without one (one of TikTok's 61 codes)",
    "DEFAULT_PHONE_REGION": 'region (`"GB"`, `"US"`) for phone numbers written without `+country`',
    "SDK_URL": "where `events.js` is loaded from: TikTok's by default; a first-party proxy or "
    "an offline stand-in",
    "INLINE": "`False`: no inline JavaScript at all; the calls go into a JSON data block read by "
    "the static `tiktok_pixel.js` the integration serves",
    "MAPPINGS": "how Segment-spec events become TikTok calls: a mapping spec (see Segment-spec "
    "events)",
    "PII_POLICY": '`"hash"` (default), `"drop"` or `"raise"`: what `track()` does with an email '
    "or phone number found in its params under any name, at any depth or in a URL (see Privacy)",
    "URL_PARAMS_ALLOWED": "glob patterns of URL query parameters the privacy guard never touches "
    "(default `utm_*`, `ttclid`, `gclid`, `fbclid`)",
    "DEBUG": "log the validator's findings on each render and add them to the page as a JSON "
    "data block",
    "ENABLED": "`False`: render nothing and keep nothing in the session (views may still call "
    "`track`). The pixel renders under Flask's `TESTING` too; the Events API mirror stays off "
    "there unless `ENABLED` is set to `True` explicitly",
    "AUTO_INJECT": "insert the fragment before `</head>` of HTML responses that lack it",
    "NONCE": "`callable(request) -> str`: the request's CSP nonce, when no CSP library provides "
    "one (Django also takes a dotted path)",
    "EVENTS_API": "a dict of Events API options: every `track` is also sent server-side with the "
    "same `event_id`",
    "CONSENT_GRANTED": "`callable(request) -> bool`: whether this visitor granted consent; needed "
    "for mirroring under `CONSENT` `hold` (Django also takes a dotted path)",
}


#: Names people reach for that mean an option under another name (TikTok calls the code a
#: "pixel ID" in places).
_ALIASES: dict[str, str] = {
    "ID": "PIXEL_CODE",
    "PIXEL_ID": "PIXEL_CODE",
    "CODE": "PIXEL_CODE",
    "CODES": "PIXEL_CODE",
    "PIXEL_CODES": "PIXEL_CODE",
    "PIXEL": "PIXEL_CODE",
    "USE_EXISTING_PIXEL": "USE_EXISTING",
    "LDU": "LIMITED_DATA_USE",
}


def suggest_option(name: str) -> str | None:
    """The option a misspelt or aliased ``name`` (Django spelling) most likely means."""
    name = name.upper()
    if name in _ALIASES:
        return _ALIASES[name]
    close = difflib.get_close_matches(name, ALL_OPTIONS, n=1, cutoff=0.7)
    return close[0] if close else None


def flask_key(option: str) -> str:
    """The Flask config key for an option: ``PIXEL_CODE`` -> ``TIKTOK_PIXEL_CODE``."""
    return "TIKTOK_PIXEL_CODE" if option == "PIXEL_CODE" else f"TIKTOK_PIXEL_{option}"


def starlette_key(option: str) -> str:
    """The middleware's keyword for an option: ``PIXEL_CODE`` -> ``pixel_code``, else the
    ``PixelConfig`` field (``USE_EXISTING`` -> ``use_existing_pixel``) or the lower-case name."""
    return "pixel_code" if option == "PIXEL_CODE" else CONFIG_OPTIONS.get(option, option.lower())


#: ``PixelConfig`` field -> option name (Django spelling).
FIELD_OPTIONS: dict[str, str] = {field: option for option, field in CONFIG_OPTIONS.items()}


@dataclass(frozen=True)
class Spelling:
    """How one front end writes the options, so that its messages use the user's own words.

    ``key(option)`` is the key the user writes (``TIKTOK_PIXEL_CODE``); ``name(option)`` how a
    message names it (default: the key; Django's says ``settings.TIKTOK_PIXEL['PIXEL_CODE']``);
    ``source`` names where the options come from (``app.config``), for unknown keys;
    ``key_prefix`` is what a key starts with besides the option name (for "did you mean");
    ``message_prefix`` starts every message about one option (``"TikTokPixelMiddleware: "``);
    ``resolve``, given, imports a dotted path given for ``NONCE`` or ``CONSENT_GRANTED``.
    """

    source: str
    key: Callable[[str], str]
    name: Callable[[str], str] | None = None
    key_prefix: str = ""
    message_prefix: str = ""
    resolve: Callable[[str], Any] | None = None

    def words(self, option: str) -> str:
        """How messages name ``option``."""
        return (self.name or self.key)(option)

    def field_words(self, setting: str) -> str:
        """How messages name a ``PixelConfig`` field (for :meth:`SettingError.spelled`)."""
        return self.words(FIELD_OPTIONS[setting]) if setting in FIELD_OPTIONS else setting


#: Flask's ``app.config`` keys.
FLASK = Spelling("app.config", flask_key, key_prefix="TIKTOK_PIXEL_")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the options, in the front end's words.

    ``option`` is the option it is about (``None``: unknown keys); ``missing`` marks the missing
    pixel code; ``hint`` is a suggestion (``"did you mean …"``) or ``""``.
    """

    option: str | None
    message: str
    hint: str = ""
    missing: bool = False

    def text(self) -> str:
        """Message and hint in one line."""
        return f"{self.message}; {self.hint}" if self.hint else self.message


_S = TypeVar("_S", bound=Site)


@dataclass(frozen=True, eq=False)
class SiteOptions:
    """Every option of one site, validated; the same for each framework.

    ``config`` is what pages render with (when the pixel is disabled without a code it only
    collects: ``use_existing_pixel`` is set). ``events_api`` is ``EVENTS_API`` as given (never in
    the repr: it may hold the access token); ``events_api_config`` is it validated, ``None`` when
    unset or when nothing may be mirrored (disabled, or a test set-up that did not ask).
    """

    config: PixelConfig
    spelling: Spelling = field(repr=False)
    enabled: bool = True
    auto_inject: bool = False
    nonce: NonceFunction | None = field(default=None, repr=False)
    consent_granted: ConsentFunction | None = field(default=None, repr=False)
    events_api: Any = field(default=None, repr=False)
    events_api_config: EventsApiConfig | None = None

    def mirror(self) -> EventsApiMirror | None:
        """The Events API mirror (``None`` without ``events_api_config``); it starts no thread
        until the first event. Logs the one warning when consent is held with no way to learn
        that it was granted."""
        if self.events_api_config is None:
            return None
        words = self.spelling.words
        mirror = build_mirror(self.config, self.events_api_config, source=words("EVENTS_API"))
        if consent_hold_unanswered(self.config, self.consent_granted):
            warn_consent_hold(words("CONSENT"), words("EVENTS_API"), words("CONSENT_GRANTED"))
        return mirror

    def site(
        self,
        cls: type[_S] = Site,  # type: ignore[assignment]
        *,
        mirror: EventsApiMirror | None = None,
        script_url: str | None = None,
        **extra: Any,
    ) -> _S:
        """The lifecycle's :class:`~tiktok_pixel.lifecycle.Site` (or subclass ``cls``)."""
        return cls(
            config=self.config,
            enabled=self.enabled,
            auto_inject=self.auto_inject,
            nonce=self.nonce,
            mirror=mirror,
            consent_granted=self.consent_granted,
            script_url=script_url,
            **extra,
        )


#: What ``NONCE`` and ``CONSENT_GRANTED`` must be.
_FUNCTIONS = {
    "NONCE": "callable(request) -> str | None giving the request's CSP nonce",
    "CONSENT_GRANTED": "callable(request) -> bool telling whether the visitor granted consent",
}


class _Reader:
    """Reads one front end's options, collecting every problem instead of stopping at the first."""

    def __init__(self, spelling: Spelling) -> None:
        self.spelling = spelling
        self.words = spelling.words
        self.problems: list[Problem] = []

    def problem(self, option: str | None, message: str, hint: str = "", **kw: Any) -> None:
        prefix = self.spelling.message_prefix if option is not None else ""
        self.problems.append(Problem(option, prefix + message, hint, **kw))

    def by_option(self, given: Mapping[Any, Any]) -> dict[str, Any]:
        """``given`` keyed by option; ``None`` values are unset; unknown keys are a problem."""
        keys = {self.spelling.key(option): option for option in ALL_OPTIONS}
        unknown = [key for key in given if key not in keys]
        if unknown:
            self.unknown(sorted(map(str, unknown)))
        return {keys[k]: v for k, v in given.items() if k in keys and v is not None}

    def unknown(self, unknown: list[str]) -> None:
        prefix = self.spelling.key_prefix
        guesses = {
            self.spelling.key(guess)
            for key in unknown
            if (guess := suggest_option(key.removeprefix(prefix))) is not None
        }
        known = ", ".join(sorted(self.spelling.key(option) for option in ALL_OPTIONS))
        meant = f"did you mean {', '.join(sorted(guesses))}? " if guesses else ""
        self.problem(
            None,
            f"{self.spelling.source} has unknown TikTok pixel option(s): {', '.join(unknown)}",
            f"{meant}known options are {known}",
        )

    def flag(self, options: Mapping[str, Any], option: str, default: bool) -> bool:
        value = options.get(option, default)
        if isinstance(value, bool):
            return value
        self.problem(option, f"{self.words(option)} must be True or False, not {value!r}")
        return default

    def function(self, options: Mapping[str, Any], option: str) -> Any:
        """``NONCE`` or ``CONSENT_GRANTED``: ``None``, a callable, or (if allowed) its path."""
        value = options.get(option)
        name = self.words(option)
        resolve = self.spelling.resolve
        if isinstance(value, str) and resolve is not None:
            try:
                value = resolve(value)
            except ImportError as exc:
                self.problem(option, f"{name} names {value!r}, which cannot be imported ({exc})")
                return None
        if value is None or callable(value):
            return value
        path = " (or a dotted path to one)" if resolve is not None else ""
        fixed = ": a fixed nonce defeats CSP" if option == "NONCE" else ""
        self.problem(
            option,
            f"{name} must be a {_FUNCTIONS[option]}{path}, not {type(value).__name__}{fixed}",
        )
        return None

    def config(
        self, options: Mapping[str, Any], *, runtime_url: str | None, collect_only: bool
    ) -> PixelConfig | None:
        """The ``PixelConfig``; after a bad value it goes on without it, to report every one."""
        fields = {CONFIG_OPTIONS[o]: v for o, v in options.items() if o in CONFIG_OPTIONS}
        if fields.get("pixel_codes") in ("", [], ()):
            del fields["pixel_codes"]  # empty: no code
        if collect_only and fields.get("use_existing_pixel", False) is False:
            fields["use_existing_pixel"] = True  # disabled without a code: it only collects
        if runtime_url is not None:
            fields["runtime_url"] = runtime_url
        for _ in range(len(fields) + 2):
            try:
                return PixelConfig(**fields)
            except SettingError as exc:
                missing = exc.setting == "pixel_codes" and "pixel_codes" not in fields
                option = FIELD_OPTIONS.get(exc.setting, "INLINE")  # runtime_url: for INLINE
                self.problem(option, exc.spelled(self.spelling.field_words), missing=missing)
                if exc.setting not in fields and not missing:
                    return None  # nothing left to take out (runtime_url: ours, not the user's)
                fields.pop(exc.setting, None)
                if exc.setting in ("pixel_codes", "use_existing_pixel"):
                    fields["use_existing_pixel"] = True  # check the rest without a code
        return None

    def events_api(
        self, raw: Any, *, has_code: bool, require_token: bool
    ) -> EventsApiConfig | None:
        if raw is None:
            return None
        name = self.words("EVENTS_API")
        try:
            api_config = events_api_config(raw, source=name, require_token=require_token)
        except ValueError as exc:
            self.problem("EVENTS_API", str(exc))
            return None
        if api_config is not None and not has_code and not api_config.pixel_codes:
            self.problem(
                "EVENTS_API",
                f"{name} has no pixel code to send the events for: {self.words('USE_EXISTING')} "
                f"is set without {self.words('PIXEL_CODE')}",
                "set its option PIXEL_CODES to the site's pixel code(s)",
            )
        return api_config


def read_options(
    given: Mapping[Any, Any],
    spelling: Spelling,
    *,
    runtime_url: str | None = None,
    testing: bool = False,
) -> tuple[SiteOptions | None, list[Problem]]:
    """Validate one site's options, keyed as ``spelling`` writes them; every problem at once.

    Returns the options (``None`` when there is any problem) and the problems. ``runtime_url``
    is where the integration serves ``static/tiktok_pixel.js``. ``ENABLED`` defaults to True;
    with ``testing`` (Flask's ``TESTING``) a set-up without a pixel code only collects, and the
    Events API mirror is built only when ``ENABLED`` is set to True explicitly, so a test suite
    never sends to TikTok by accident. A disabled pixel may leave the code out.
    """
    read = _Reader(spelling)
    options = read.by_option(given)
    has_code = options.get("PIXEL_CODE") not in (None, "", [], ())
    explicit = "ENABLED" in options
    given_existing = options.get("USE_EXISTING") is not None
    enabled = read.flag(options, "ENABLED", not (testing and not has_code and not given_existing))
    auto_inject = read.flag(options, "AUTO_INJECT", False)
    nonce = read.function(options, "NONCE")
    consent_granted = read.function(options, "CONSENT_GRANTED")
    config = read.config(
        options, runtime_url=runtime_url, collect_only=not enabled and not has_code
    )
    api_config = read.events_api(
        options.get("EVENTS_API"),
        has_code=has_code,
        require_token=enabled and (explicit or not testing),
    )
    if read.problems or config is None:
        return None, read.problems
    return (
        SiteOptions(
            config=config,
            spelling=spelling,
            enabled=enabled,
            auto_inject=auto_inject,
            nonce=nonce,
            consent_granted=consent_granted,
            events_api=options.get("EVENTS_API"),
            events_api_config=api_config,
        ),
        [],
    )


def build_options(
    given: Mapping[Any, Any],
    spelling: Spelling,
    *,
    runtime_url: str | None = None,
    testing: bool = False,
) -> SiteOptions:
    """:func:`read_options`, raising ``ValueError`` with every problem (joined by ``" | "``)."""
    found, problems = read_options(given, spelling, runtime_url=runtime_url, testing=testing)
    if found is None:
        raise ValueError(" | ".join(problem.text() for problem in problems))
    return found
