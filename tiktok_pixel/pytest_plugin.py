"""The pytest plugin (``pytest11`` entry point ``tiktok_pixel``): a ``tiktok_pixel_calls`` fixture.

Installed with tiktok-pixel, so any project's tests can use it without a conftest::

    def test_add_to_cart(client, tiktok_pixel_calls):
        calls = tiktok_pixel_calls(client.post("/cart", data={"sku": "mug"}))
        assert calls.events == ["AddToCart"]
        tiktok_pixel_calls.assert_tracked(calls, "AddToCart", currency="EUR")
"""

from __future__ import annotations

import pytest

from .testing import PixelCalls


@pytest.fixture
def tiktok_pixel_calls() -> PixelCalls:
    """Read the TikTok pixel calls of a page or response: ``tiktok_pixel_calls(response)``."""
    return PixelCalls()
