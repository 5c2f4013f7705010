"""TikTok's Events API 2.0: the pixel's events sent again from the server, deduplicated.

- :class:`EventsApiConfig`: the settings (token from the environment, batching, retries).
- :class:`EventsApiMirror`: queues a page's track calls with the pixel's own event_ids.
- :class:`RequestInfo`: IP, user agent, URL, referrer, ``_ttp`` and ``ttclid`` of a request.
- :class:`BackgroundSender`: bounded queue, batches, retries, off the request thread.
- :class:`EventsApiClient`: one HTTP request (needs the ``events-api`` extra, i.e. httpx).
"""

from __future__ import annotations

from .client import EventsApiClient, Outcome, SendResult
from .mirror import EventsApiMirror, make_sender
from .payload import api_event, encode_body, events_from_calls, request_body, user_from_identity
from .request import RequestInfo
from .sender import BackgroundSender, SenderStats, Transport
from .settings import DEFAULT_ENDPOINT, DEFAULT_TOKEN_ENV, MAX_BATCH_SIZE, EventsApiConfig

__all__ = [
    "DEFAULT_ENDPOINT",
    "DEFAULT_TOKEN_ENV",
    "MAX_BATCH_SIZE",
    "BackgroundSender",
    "EventsApiClient",
    "EventsApiConfig",
    "EventsApiMirror",
    "Outcome",
    "RequestInfo",
    "SendResult",
    "SenderStats",
    "Transport",
    "api_event",
    "encode_body",
    "events_from_calls",
    "make_sender",
    "request_body",
    "user_from_identity",
]
