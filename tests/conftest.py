from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.browser import Site, launch_browser, open_site
from tests.events_api.fake_api import FakeEventsApi, api_server, fake_events_api
from tiktok_pixel import PixelConfig

CODE = "C3MV4QR3G487IS97GFI0"
CODE2 = "CRF8I2BC77UD2MA14E3G"


@pytest.fixture
def config() -> PixelConfig:
    return PixelConfig(pixel_codes=CODE)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def site() -> Site:
    return Site()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    tab = open_site(browser, site)
    yield tab
    tab.context.close()


@pytest.fixture(scope="session")
def events_api_server() -> Iterator[HTTPServer]:
    """One local stand-in for TikTok's Events API for the whole run (starting one is slow)."""
    with api_server() as server:
        yield server


@pytest.fixture
def api(events_api_server: HTTPServer) -> Iterator[FakeEventsApi]:
    """A fresh Events API stand-in: records what it receives, replies as each test tells it."""
    with fake_events_api(events_api_server) as fake:
        yield fake
