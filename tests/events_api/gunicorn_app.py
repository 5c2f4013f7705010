"""A WSGI app for the gunicorn fork-safety test: mirrors one event per request.

At import it sends one event and waits for it, so with ``--preload`` the master has a live
keep-alive connection and a started sender thread when gunicorn forks its workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from tiktok_pixel import PageEvents, PixelConfig
from tiktok_pixel.events_api import EventsApiConfig, EventsApiMirror

PIXEL = PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0")
MIRROR = EventsApiMirror(
    PIXEL,
    EventsApiConfig(
        access_token="gunicorn-test-token",
        endpoint=os.environ["TP_ENDPOINT"],
        flush_interval=0.05,
        backoff_base=0.01,
        backoff_max=0.05,
        timeout=5.0,
    ),
)
_page = PageEvents(PIXEL)
_page.track("ViewContent", event_id=f"import-{os.getpid()}")
MIRROR.mirror(_page)
MIRROR.flush(timeout=10)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    page = PageEvents(PIXEL)
    page.track("AddToCart", event_id=environ.get("QUERY_STRING") or "none")
    MIRROR.mirror(page)
    MIRROR.flush(timeout=10)
    stats = MIRROR.stats()
    body = json.dumps(
        {
            "pid": os.getpid(),
            "sent": stats.sent,
            "retried": stats.retried,
            "failed": stats.failed,
            "requests": stats.requests,
        }
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
