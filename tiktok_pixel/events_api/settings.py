"""``EventsApiConfig``: the Events API settings, validated once into a frozen dataclass.

Flask reads them from ``TIKTOK_PIXEL_EVENTS_API = {...}``, Django from
``TIKTOK_PIXEL["EVENTS_API"]``; both go through :meth:`EventsApiConfig.from_mapping`, which takes
the option names in upper case (``ACCESS_TOKEN_ENV``) or as field names (``access_token_env``).
The access token is read from the environment by default, so it stays out of settings files, and
it never appears in a ``repr``, a log line or an exception.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from ..config import SettingError, normalise_pixel_code

#: TikTok's Events API 2.0 endpoint (``v1.3`` path).
DEFAULT_ENDPOINT = "https://business-api.tiktok.com/open_api/v1.3/event/track/"
#: The environment variable the access token is read from unless configured otherwise.
DEFAULT_TOKEN_ENV = "TIKTOK_ACCESS_TOKEN"
#: Events per request. [I] Integrations (Hightouch) document 1,000; not seen on a TikTok page,
#: so it is unconfirmed [U]; batch_size can go lower.
MAX_BATCH_SIZE = 1000

Backend = Literal["thread", "celery"]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENDPOINT = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~/%+-]*)?")


#: Seconds settings: (lowest, highest). Each bound keeps a mistake from hurting the site: a
#: flush interval of 1e-9 s spins the sender's thread (~15% of a core while idle); retries that
#: wait hours hold events in memory that long; a shutdown that waits minutes delays deploys.
SECONDS_BOUNDS: dict[str, tuple[float, float]] = {
    "flush_interval": (0.01, 60.0),
    "timeout": (0.1, 300.0),
    "backoff_base": (0.0, 60.0),
    "backoff_max": (0.01, 600.0),
    "shutdown_timeout": (0.0, 300.0),
    "log_interval": (1.0, 3600.0),
}
#: ``celery_confirm_timeout`` (seconds, or None for off): long enough for a task to wait in the
#: queue and run its retries, short enough that a lost task is handed over again the same day.
CONFIRM_BOUNDS: tuple[float, float] = (5.0, 86_400.0)
#: Whole-number settings: (lowest, highest). A full queue of the largest size holds about
#: 1.9 GB of events (~1.9 KB each, see docs/events-api.md); 20 retries at the longest backoff
#: keep a batch for at most 200 minutes.
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "batch_size": (1, MAX_BATCH_SIZE),
    "queue_size": (1, 1_000_000),
    "max_retries": (0, 20),
    "proxy_hops": (0, 20),
}


def _option(name: str) -> str:
    """How a message names a field when nobody respells it: ``events API option batch_size``."""
    return f"events API option {name}"


def _invalid(name: str, describe: Any) -> SettingError:
    """A :class:`~tiktok_pixel.config.SettingError` about field ``name``; ``describe(n)`` says
    what is wrong, naming each field ``f`` as ``n(f)`` (``BATCH_SIZE`` for a settings dict,
    ``--batch-size`` for the ``send`` command)."""
    return SettingError(name, describe, _option)


def _seconds(name: str, value: object) -> float:
    low, high = SECONDS_BOUNDS[name]
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= high:  # type: ignore[operator]
        raise _invalid(
            name,
            lambda n: (
                f"{n(name)} must be a number of seconds from {low:g} to {high:g}, not {value!r}"
            ),
        )
    return float(value)  # type: ignore[arg-type]


def _int_in(name: str, value: object) -> int:
    low, high = INT_BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(
            name, lambda n: f"{n(name)} must be a whole number from {low} to {high}, not {value!r}"
        )
    return value


def confirm_timeout(value: object) -> float:
    """``celery_confirm_timeout`` checked against :data:`CONFIRM_BOUNDS` (``ValueError``)."""
    low, high = CONFIRM_BOUNDS
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= high:  # type: ignore[operator]
        raise ValueError(
            "events API option celery_confirm_timeout must be None (off) or a number of seconds "
            f"from {low:g} to {high:g}, not {value!r}"
        )
    return float(value)  # type: ignore[arg-type]


def check_sender_limits(**values: object) -> None:
    """Check batching, queue, retry and log settings against their bounds (``ValueError``)."""
    for name, value in values.items():
        if name in INT_BOUNDS:
            _int_in(name, value)
        else:
            _seconds(name, value)
    base, top = values.get("backoff_base"), values.get("backoff_max")
    if isinstance(base, int | float) and isinstance(top, int | float) and base > top:
        raise _invalid(
            "backoff_base",
            lambda n: (
                f"{n('backoff_base')} ({base:g}) must not exceed {n('backoff_max')} ({top:g})"
            ),
        )


@dataclass(frozen=True)
class EventsApiConfig:
    """How events reach TikTok's Events API.

    ``access_token`` is the Events API token from Events Manager (pixel > Settings); when it is
    not given it is read from the environment variable named by ``access_token_env``. Without a
    token the configuration is refused at start-up. ``pixel_codes`` overrides the pixel codes the
    events are sent for (default: the page's pixels). ``backend`` ``"thread"`` sends from a
    background thread of this process; ``"celery"`` hands batches to the Celery task
    ``tiktok_pixel.contrib.celery.send_events``.
    """

    access_token: str | None = field(default=None, repr=False)
    access_token_env: str = DEFAULT_TOKEN_ENV
    pixel_codes: tuple[str, ...] = ()
    endpoint: str = DEFAULT_ENDPOINT
    test_event_code: str | None = None
    #: None: follow ``PixelConfig.limited_data_use``.
    limited_data_use: bool | None = None
    backend: Backend = "thread"
    batch_size: int = MAX_BATCH_SIZE
    queue_size: int = 10_000
    #: Longest wait (seconds) for a batch to fill before what is queued is sent.
    flush_interval: float = 1.0
    #: Seconds for one HTTP request (connect, write, read each).
    timeout: float = 10.0
    #: Retries of a batch after the first attempt, on 429, 5xx, TikTok's rate-limit code,
    #: timeouts and transport errors.
    max_retries: int = 5
    #: First retry delay (seconds); doubled each retry, capped at ``backoff_max``, with jitter.
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: Seconds the interpreter waits at exit for queued events to be sent.
    shutdown_timeout: float = 5.0
    #: Seconds between two warnings about the same kind of failure (others are counted).
    log_interval: float = 30.0
    #: Reverse proxies in front of the app whose ``X-Forwarded-For`` / ``-Proto`` / ``-Host``
    #: headers are trusted (0: use ``REMOTE_ADDR`` and the request's own host).
    proxy_hops: int = 0
    #: With ``backend="celery"``: seconds after which a batch handed to the broker and not yet
    #: finished by a worker (its task state in the result backend) is handed over again.
    #: None: off (see docs/events-api.md, "Confirmations").
    celery_confirm_timeout: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        env = self.access_token_env
        if not isinstance(env, str) or not _ENV_NAME.fullmatch(env):
            raise _invalid(
                "access_token_env",
                lambda n: (
                    f"{n('access_token_env')} must be an environment variable name, not {env!r}"
                ),
            )
        token = self.access_token
        if token is None:
            token = os.environ.get(env)
        if not isinstance(token, str) or not token.strip():
            raise _invalid(
                "access_token",
                lambda n: (
                    f"the TikTok Events API needs an access token: set the environment variable "
                    f"{env} (or the {n('access_token')}); generate one in TikTok Events Manager > "
                    "your pixel > Settings"
                ),
            )
        token = token.strip()
        if any(ch.isspace() for ch in token):
            # The message must not quote the token.
            raise _invalid(
                "access_token",
                lambda n: (
                    f"the TikTok Events API access token ({n('access_token')}) must be the bare "
                    "token (no 'Bearer ' prefix, no whitespace)"
                ),
            )
        set_(self, "access_token", token)
        codes = self.pixel_codes
        if isinstance(codes, str):
            codes = (codes,)
        if not isinstance(codes, tuple | list):
            raise _invalid(
                "pixel_codes",
                lambda n: f"{n('pixel_codes')} must be a string or a list, not {codes!r}",
            )
        try:
            set_(self, "pixel_codes", tuple(dict.fromkeys(map(normalise_pixel_code, codes))))
        except ValueError as exc:
            message = str(exc)
            raise _invalid("pixel_codes", lambda n: f"{n('pixel_codes')}: {message}") from None
        endpoint = self.endpoint
        if not isinstance(endpoint, str) or not _ENDPOINT.fullmatch(endpoint):
            raise _invalid(
                "endpoint", lambda n: f"{n('endpoint')} must be an http(s) URL, not {endpoint!r}"
            )
        code = self.test_event_code
        if code is not None and (not isinstance(code, str) or not code.strip()):
            raise _invalid(
                "test_event_code",
                lambda n: (
                    f"{n('test_event_code')} must be a non-empty string or None, not {code!r}"
                ),
            )
        if code is not None:
            set_(self, "test_event_code", code.strip())
        ldu = self.limited_data_use
        if ldu not in (None, True, False):
            raise _invalid(
                "limited_data_use",
                lambda n: f"{n('limited_data_use')} must be True, False or None, not {ldu!r}",
            )
        backend = self.backend
        if backend not in ("thread", "celery"):
            raise _invalid(
                "backend",
                lambda n: f"{n('backend')} must be 'thread' or 'celery', not {backend!r}",
            )
        for name in INT_BOUNDS:
            _int_in(name, getattr(self, name))
        for name in SECONDS_BOUNDS:
            set_(self, name, _seconds(name, getattr(self, name)))
        check_sender_limits(backoff_base=self.backoff_base, backoff_max=self.backoff_max)
        if self.celery_confirm_timeout is not None:
            set_(self, "celery_confirm_timeout", confirm_timeout(self.celery_confirm_timeout))
            if self.backend != "celery":
                raise ValueError(
                    "events API option celery_confirm_timeout only applies with backend "
                    f"'celery', not {self.backend!r}"
                )

    def with_changes(self, **changes: Any) -> EventsApiConfig:
        """A copy with some fields changed, validated again."""
        return replace(self, **changes)

    def public_settings(self) -> dict[str, Any]:
        """Every setting except the token: safe to log (never sent in a task message)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.init and f.name != "access_token"
        }

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any], *, source: str = "EVENTS_API"
    ) -> EventsApiConfig:
        """Build from ``{"ACCESS_TOKEN_ENV": ..., "BATCH_SIZE": ...}`` (upper or lower case).

        Raises ``ValueError`` naming ``source`` for unknown options and invalid values.
        """
        if not isinstance(settings, Mapping):
            raise ValueError(f"{source} must be a dict of options, not {type(settings).__name__}")
        known = {f.name for f in fields(cls) if f.init}
        values: dict[str, Any] = {}
        written: dict[str, str] = {}  # field -> the key as given, for the messages
        unknown = []
        for key, value in settings.items():
            name = key.lower() if isinstance(key, str) else key
            if name not in known:
                unknown.append(str(key))
            elif name in values:
                raise ValueError(f"{source}: option {name.upper()} is given twice")
            else:
                values[name] = value
                written[name] = key
        if unknown:
            raise ValueError(
                f"unknown events API option(s) in {source}: {', '.join(sorted(unknown))}; known "
                f"options are {', '.join(sorted(n.upper() for n in known))}"
            )
        try:
            return cls(**values)
        except SettingError as exc:
            spelled = exc.spelled(lambda name: written.get(name, name.upper()))
            raise ValueError(f"{source}: {spelled}") from None
