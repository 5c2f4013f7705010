from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import Site, launch_browser, open_site
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
