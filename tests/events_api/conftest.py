from __future__ import annotations

from typing import Any

from tests.events_api.fake_api import TOKEN, FakeEventsApi
from tiktok_pixel.events_api import EventsApiConfig


def fast_config(api: FakeEventsApi, **changes: Any) -> EventsApiConfig:
    """Settings pointing at the stand-in, with tiny delays so no test waits long."""
    settings: dict[str, Any] = {
        "access_token": TOKEN,
        "endpoint": api.url,
        "flush_interval": 0.05,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 2.0,
        "shutdown_timeout": 5.0,
    }
    settings.update(changes)
    return EventsApiConfig(**settings)
