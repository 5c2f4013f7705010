"""``EventsApiClient``: one ``event/track`` request to TikTok's Events API 2.0, over httpx.

A request succeeds only when the JSON body says ``code == 0``: TikTok answers HTTP 200 for most
errors. Every outcome is classified as accepted, worth retrying (rate limits, server errors,
timeouts, transport errors) or rejected (validation and auth errors: sending the same batch
again cannot help). Retrying is safe against double counting: TikTok deduplicates server events
with the same ``event`` and ``event_id`` within 48 hours.

Needs the ``events-api`` extra: ``pip install 'tiktok-pixel[events-api]'``.
"""

from __future__ import annotations

import datetime
import enum
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from .payload import encode_batch
from .settings import DEFAULT_ENDPOINT, EventsApiConfig

try:
    import httpx
except ImportError:  # pragma: no cover - exercised only without the extra
    httpx = None  # type: ignore[assignment]

USER_AGENT = "tiktok-pixel-python"


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    RETRY = "retry"
    REJECTED = "rejected"


#: TikTok response codes we know, with what to do. All come from integrations, not from TikTok's
#: own documentation (not available to us), so their meanings are unconfirmed [U].
RETRY_CODES: dict[int, str] = {
    40100: "rate limit exceeded",  # [I] RudderStack and Stape retry it later
    40700: "temporary error",  # [U] RudderStack retries it like a 5xx
}
REJECT_CODES: dict[int, str] = {
    40000: "invalid field value",  # [U] seen for a price sent as a string
    40001: "permission or auth error",  # [U] RudderStack treats it as auth, no retry
    40002: "parameter error",  # [I]
    40105: "invalid or revoked access token",  # [U] low-authority source
    20001: "partial success: some events were not accepted",  # [U] RudderStack counts it as OK
}
#: Rejections that may be caused by one event's content: such a batch is split in two and each
#: half sent again, down to single events, so the good events still go. [I] TikTok fails the
#: whole batch if one row is invalid (facts sheet); which codes mean "a row" is unconfirmed [U].
CONTENT_CODES = frozenset({40000, 40002})
CONTENT_STATUSES = frozenset({400, 413, 422})


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to one request. ``message`` is TikTok's, with anything PII-like removed."""

    outcome: Outcome
    events: int
    status: int | None = None
    code: int | None = None
    message: str = ""
    request_id: str | None = None
    #: Seconds the server asked us to wait (``Retry-After``), if it did.
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    @property
    def retryable(self) -> bool:
        return self.outcome is Outcome.RETRY

    @property
    def splittable(self) -> bool:
        """A rejection that one event's content may cause: worth splitting a batch."""
        if self.outcome is not Outcome.REJECTED or self.events < 2:
            return False
        if self.code is not None and self.code != 0:
            return self.code in CONTENT_CODES
        return self.status in CONTENT_STATUSES

    def describe(self) -> str:
        """One log-safe line: HTTP status, TikTok code and message, request id."""
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            known = RETRY_CODES.get(self.code) or REJECT_CODES.get(self.code)
            parts.append(f"code {self.code}" + (f" ({known})" if known else ""))
        if self.message:
            parts.append(repr(self.message))
        if self.request_id:
            parts.append(f"request_id {self.request_id}")
        return ", ".join(parts) or self.outcome.value


_PII_PATTERNS = (
    re.compile(r"[^\s@,;:\"'<>()\[\]]+@[^\s@,;:\"'<>()\[\]]+"),  # emails
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),  # digests, tokens
    re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),  # IPv4
    re.compile(r"\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b"),  # IPv6
    re.compile(r"\+?\d[\d\s().-]{6,}\d"),  # phone-like digit runs
)


def scrub(message: object, limit: int = 300) -> str:
    """TikTok's error message made safe to log: PII-like runs replaced, length capped.

    TikTok's messages may echo a field value; values we send are hashed or are the visitor's
    IP, user agent and cookies, so anything that looks like an address or an id is removed.
    """
    if not isinstance(message, str):
        return ""
    text = " ".join(message.split())[: limit * 2]
    for pattern in _PII_PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text[:limit]


def classify(status: int, body: object, events: int, headers: Mapping[str, str]) -> SendResult:
    """Turn an HTTP status and decoded JSON body (or None) into a :class:`SendResult`."""
    retry_after = _retry_after(headers.get("retry-after"))
    code = message = request_id = None
    if isinstance(body, dict):
        raw_code = body.get("code")
        if isinstance(raw_code, int) and not isinstance(raw_code, bool):
            code = raw_code
        elif isinstance(raw_code, str) and raw_code.strip().lstrip("-").isdigit():
            code = int(raw_code)
        message = scrub(body.get("message"))
        rid = body.get("request_id")
        request_id = scrub(rid, 80) if isinstance(rid, str) else None
    result = dict(
        events=events,
        status=status,
        code=code,
        message=message or "",
        request_id=request_id,
        retry_after=retry_after,
    )
    if status == 429 or status == 408 or status >= 500:
        return SendResult(Outcome.RETRY, **result)  # type: ignore[arg-type]
    if status != 200:
        return SendResult(Outcome.REJECTED, **result)  # type: ignore[arg-type]
    if code is None:
        # A 200 without TikTok's JSON (a proxy page?). [U] Retrying is the safer side: nothing
        # says TikTok got the events, and a repeat is deduplicated by event_id.
        return SendResult(
            Outcome.RETRY,
            **{**result, "message": result["message"] or "response has no TikTok code"},  # type: ignore[arg-type]
        )
    if code == 0:
        return SendResult(Outcome.ACCEPTED, **result)  # type: ignore[arg-type]
    if code in RETRY_CODES or 50000 <= code < 60000:
        # 5xxxx codes: [U] server-side errors by analogy with HTTP; retried.
        return SendResult(Outcome.RETRY, **result)  # type: ignore[arg-type]
    return SendResult(Outcome.REJECTED, **result)  # type: ignore[arg-type]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        seconds = (moment - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return max(0.0, min(seconds, 3600.0)) if math.isfinite(seconds) else None


def require_httpx() -> Any:
    """The httpx module, or an ``ImportError`` saying which extra to install."""
    if httpx is None:
        raise ImportError(
            "the TikTok Events API client needs httpx: pip install 'tiktok-pixel[events-api]'"
        )
    return httpx


class EventsApiClient:
    """Sends batches of events for a pixel; thread-safe (one pooled ``httpx.Client``).

    Fork-safe: a client used in a forked child (a pre-forking server's worker, a Celery
    prefork child) makes its own connection pool there, as redis-py does per PID; the parent's
    connections are never written to by the child.

    >>> client = EventsApiClient(token)  # doctest: +SKIP
    >>> client.send("C3MV4QR3G487IS97GFI0", [api_event("Purchase", "order-1")])  # doctest: +SKIP
    """

    def __init__(
        self,
        access_token: str,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
        test_event_code: str | None = None,
        http_client: Any = None,
    ) -> None:
        require_httpx()
        self.endpoint = endpoint
        self.test_event_code = test_event_code
        self._headers = {
            "Access-Token": access_token,  # no "Bearer" prefix [T]
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._timeout = timeout
        self._own_client = http_client is None
        self._http = http_client or self._new_pool()
        self._pid = os.getpid()

    def _new_pool(self) -> Any:
        hx = require_httpx()
        return hx.Client(
            timeout=hx.Timeout(self._timeout),
            follow_redirects=False,
            limits=hx.Limits(max_connections=10, max_keepalive_connections=4),
        )

    def after_fork(self) -> None:
        """In a forked child: forget the parent's pooled connections and make a fresh pool.

        The inherited pool is not closed (that would shut sockets the parent still uses).
        A client given as ``http_client`` is the caller's to manage and is kept.
        """
        self._pid = os.getpid()
        if self._own_client:
            self._http = self._new_pool()

    def __repr__(self) -> str:
        return f"<EventsApiClient {self.endpoint}>"

    @classmethod
    def from_config(cls, config: EventsApiConfig, **kwargs: Any) -> EventsApiClient:
        return cls(
            config.access_token or "",
            endpoint=config.endpoint,
            timeout=config.timeout,
            test_event_code=config.test_event_code,
            **kwargs,
        )

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any] | bytes]) -> SendResult:
        """POST ``events`` (at most 1,000) for ``pixel_code``; never raises for network errors.

        Each event is encoded on its own (:func:`~tiktok_pixel.events_api.payload.encode_event`):
        a bad value in one is fixed or left out with a warning and cannot fail the others.
        ``bytes`` items are taken as already encoded by it.
        """
        hx = require_httpx()
        if self._pid != os.getpid():  # forked without os.register_at_fork having reset us
            self.after_fork()
        count = len(events)
        try:
            content = encode_batch(pixel_code, events, test_event_code=self.test_event_code)
        except TypeError as exc:  # an item that is not an event at all: a caller's bug
            return SendResult(Outcome.REJECTED, count, message=f"cannot encode events: {exc}")
        try:
            response = self._http.post(self.endpoint, content=content, headers=self._headers)
        except hx.TimeoutException as exc:
            return SendResult(Outcome.RETRY, count, message=f"timeout ({type(exc).__name__})")
        except hx.HTTPError as exc:
            message = f"transport error ({type(exc).__name__})"
            return SendResult(Outcome.RETRY, count, message=message)
        try:
            body = response.json()
        except ValueError:
            body = None
        return classify(response.status_code, body, count, response.headers)

    def close(self) -> None:
        if self._own_client:
            self._http.close()

    def __enter__(self) -> EventsApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
