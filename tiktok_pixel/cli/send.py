"""``python -m tiktok_pixel send``: backfill Segment-spec events through TikTok's Events API.

The events (a JSON array, e.g. a day of orders exported from a shop database) are mapped with
the same mappings as the pixel, hashed the same way, and sent in batches with retries.
``event_id`` comes from ``messageId``, so events the pixel already sent are deduplicated, and
``event_time`` from ``timestamp``. The access token is read from ``TIKTOK_ACCESS_TOKEN`` only:
a command-line argument would end up in shell history and process listings.

Exit codes: 0 every event accepted (``code == 0``), 1 some failed (listed by index and
messageId, never by content), 2 bad arguments or an unreadable file.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..collector import PageEvents
from ..config import PixelConfig, SettingError
from ..events_api.client import EventsApiClient, SendResult, require_httpx
from ..events_api.payload import events_from_calls
from ..events_api.request import MAX_FIELD_LENGTH, RequestInfo
from ..events_api.sender import BackgroundSender
from ..events_api.settings import (
    DEFAULT_ENDPOINT,
    DEFAULT_TOKEN_ENV,
    MAX_BATCH_SIZE,
    EventsApiConfig,
)
from ..segment import map_event
from . import CommandError
from .render import read_json

_DEFAULTS: dict[str, Any] = {
    option.name: option.default for option in dataclasses.fields(EventsApiConfig)
}
DEFAULT_TIMEOUT = float(_DEFAULTS["timeout"])
DEFAULT_MAX_RETRIES = int(_DEFAULTS["max_retries"])

#: Segment types with no Events API counterpart: skipped, not failures.
NO_SERVER_EVENT = frozenset({"identify", "screen", "group", "alias"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "send",
        help="send Segment-spec events to TikTok's Events API (backfills)",
        description=(
            "Map a JSON array of Segment-spec events with the pixel's mappings and send them "
            f"to TikTok's Events API. The access token is read from ${DEFAULT_TOKEN_ENV}."
        ),
        epilog="Exit status: 0 all accepted, 1 some failed, 2 bad arguments or input.",
    )
    parser.add_argument("--pixel-code", required=True, metavar="CODE", help="the pixel code")
    parser.add_argument(
        "--events", required=True, metavar="FILE", help="JSON array of events ('-': stdin)"
    )
    parser.add_argument(
        "--endpoint", default=DEFAULT_ENDPOINT, metavar="URL", help="Events API endpoint URL"
    )
    parser.add_argument(
        "--test-event-code",
        metavar="X",
        help="send to Events Manager > Test events under this code",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1000, metavar="N", help="events per request (1-1000)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds per HTTP request (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help=f"retries of a batch after a retryable failure, 0-20 (default {DEFAULT_MAX_RETRIES})",
    )
    parser.set_defaults(handler=run)


#: ``EventsApiConfig`` field -> the option that sets it, for messages in the user's words.
FLAGS: dict[str, str] = {
    "endpoint": "--endpoint",
    "test_event_code": "--test-event-code",
    "batch_size": "--batch-size",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
}


@dataclass
class InputEvent:
    """What became of one input event."""

    index: int
    message_id: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    skipped: str | None = None
    failed: str | None = None


class RecordingTransport:
    """Wraps the client; remembers the last result and the attempts of every event it carried."""

    def __init__(self, client: EventsApiClient) -> None:
        self.client = client
        self.last: dict[int, SendResult] = {}
        self.attempts: dict[int, int] = {}
        self.requests = 0
        self.retry_requests = 0

    def send(self, pixel_code: str, events: Sequence[Mapping[str, Any]]) -> SendResult:
        self.requests += 1
        if any(id(event) in self.attempts for event in events):
            self.retry_requests += 1
        result = self.client.send(pixel_code, events)
        for event in events:
            self.last[id(event)] = result
            self.attempts[id(event)] = self.attempts.get(id(event), 0) + 1
        return result

    def close(self) -> None:
        self.client.close()


def event_time(value: object) -> int | None:
    """Unix seconds from an ISO 8601 ``timestamp`` (UTC if it has no offset); None if invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp())


def request_from_context(item: Mapping[str, Any]) -> RequestInfo | None:
    """The browser context Segment recorded (``context.ip``, ``userAgent``, ``page``), if any.

    The pixel sends these by itself; a backfilled server event needs them for matching. The
    ``ttclid`` is read from the page URL's query, as on a live request.
    """
    context = item.get("context")
    if not isinstance(context, Mapping):
        return None
    raw_page = context.get("page")
    page: Mapping[str, Any] = raw_page if isinstance(raw_page, Mapping) else {}
    url = _text(page.get("url"))
    ttclid = None
    if url and "ttclid=" in url:
        query = urllib.parse.urlsplit(url).query
        ttclid = dict(urllib.parse.parse_qsl(query)).get("ttclid")
    info = RequestInfo(
        ip=_text(context.get("ip")),
        user_agent=_text(context.get("userAgent")),
        url=url,
        referrer=_text(page.get("referrer")),
        ttclid=_text(ttclid),
    )
    return info if info != RequestInfo() else None


def _text(value: object) -> str | None:
    return value.strip()[:MAX_FIELD_LENGTH] or None if isinstance(value, str) else None


def map_all(items: list[Any], config: PixelConfig) -> list[InputEvent]:
    """Each input event mapped to its Events API ``data[]`` items (or why there are none)."""
    inputs = []
    for index, item in enumerate(items):
        message_id = item.get("messageId") if isinstance(item, Mapping) else None
        entry = InputEvent(index, message_id if isinstance(message_id, str) else None)
        inputs.append(entry)
        if not isinstance(item, Mapping):
            entry.failed = "not a JSON object"
            continue
        kind = item.get("type")
        if isinstance(kind, str) and kind.strip().lower() in NO_SERVER_EVENT:
            entry.skipped = f"{kind.strip().lower()} events have no Events API counterpart"
            continue
        when = None
        if item.get("timestamp") is not None:
            when = event_time(item["timestamp"])
            if when is None:
                entry.failed = "timestamp is not an ISO 8601 date-time"
                continue
        page = PageEvents(config)
        for mapped in map_event(item, config):
            if mapped.event is None:
                continue
            identity = {k: v for k, v in mapped.identity.items() if v is not None}
            if identity:
                page.identify(**identity)
            params = {k: v for k, v in mapped.params.items() if k != "event_id"}
            page.track(mapped.event, event_id=mapped.event_id, **params)
        request = request_from_context(item)
        for _, data in events_from_calls(
            page.calls, event_time=when, request=request, privacy=config.privacy
        ):
            entry.events.append(data)
        if not entry.events:
            entry.failed = "no mapping turns it into a TikTok event"
    return inputs


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()

    def draw(self, done: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // self.total
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} events")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    try:
        require_httpx()
    except ImportError as exc:
        raise CommandError(str(exc)) from None
    token = os.environ.get(DEFAULT_TOKEN_ENV, "").strip()
    if not token:
        raise CommandError(
            f"set the environment variable {DEFAULT_TOKEN_ENV} to your Events API access token "
            "(TikTok Events Manager > your pixel > Settings)"
        )
    if not 1 <= args.batch_size <= MAX_BATCH_SIZE:
        raise CommandError(
            f"--batch-size must be from 1 to {MAX_BATCH_SIZE}, not {args.batch_size}"
        )
    try:
        pixel = PixelConfig(pixel_codes=args.pixel_code)
    except SettingError as exc:
        raise CommandError(exc.spelled(lambda name: "--pixel-code")) from None
    try:
        api = EventsApiConfig(
            access_token=token,
            pixel_codes=pixel.pixel_codes,
            endpoint=args.endpoint,
            test_event_code=args.test_event_code,
            batch_size=args.batch_size,
            timeout=args.timeout,
            max_retries=args.max_retries,
        )
    except SettingError as exc:
        raise CommandError(exc.spelled(lambda name: FLAGS.get(name, name.upper()))) from None
    items = read_json(args.events, "--events")
    if not isinstance(items, list):
        raise CommandError(
            f"--events file {args.events!r} must hold a JSON array of Segment events, "
            f"not {type(items).__name__}"
        )
    inputs = map_all(items, pixel)
    data = [event for entry in inputs for event in entry.events]
    code = pixel.pixel_codes[0]

    transport = RecordingTransport(EventsApiClient.from_config(api))
    sender = BackgroundSender.from_config(api.with_changes(queue_size=max(1, len(data))), transport)
    progress = Progress(len(data), sys.stderr)
    try:
        for event in data:
            sender.enqueue(code, event)
        while not sender.flush(timeout=0.1):
            stats = sender.stats()
            progress.draw(stats.sent + stats.failed)
        stats = sender.stats()
        progress.draw(stats.sent + stats.failed)
    finally:
        progress.finish()
        sender.close(timeout=api.shutdown_timeout)

    for entry in inputs:
        if entry.failed or entry.skipped:
            continue
        for event in entry.events:
            result = transport.last.get(id(event))
            if result is None:
                entry.failed = "not sent"
                break
            if not result.ok:
                entry.failed = result.describe()
                break

    failed = [o for o in inputs if o.failed]
    skipped = [o for o in inputs if o.skipped]
    accepted = len(inputs) - len(failed) - len(skipped)
    results = [transport.last.get(id(event)) for event in data]
    sent = sum(1 for result in results if result is not None and result.ok)
    retried = sum(1 for event in data if transport.attempts.get(id(event), 0) > 1)
    print(
        f"{len(inputs)} input event(s): {accepted} accepted, {len(failed)} failed, "
        f"{len(skipped)} skipped; Events API events: {sent} sent, {len(data) - sent} failed, "
        f"{retried} retried; {transport.requests} request(s), "
        f"{transport.retry_requests} of them retries"
    )
    for entry in failed:
        label = f"#{entry.index}"
        if entry.message_id:
            label += f" (messageId {entry.message_id!r})"
        print(f"failed: {label}: {entry.failed}")
    return 1 if failed else 0
