from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.events_api.fake_api import TOKEN, FakeEventsApi, api_server, fake_events_api
from tiktok_pixel.events_api import EventsApiConfig


@pytest.fixture(scope="session")
def events_api_server() -> Iterator[HTTPServer]:
    with api_server() as server:
        yield server


@pytest.fixture
def api(events_api_server: HTTPServer) -> Iterator[FakeEventsApi]:
    with fake_events_api(events_api_server) as fake:
        yield fake


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
