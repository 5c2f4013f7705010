"""``RequestPixel.settles_nothing``: which responses an adapter may pass through unread.

The framework-level rules are tested against every adapter in ``tests/contrib/test_lifecycle.py``;
this pins the shortcut the adapters take before gathering what ``respond`` needs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tiktok_pixel import PixelConfig
from tiktok_pixel.htmx import Exchange
from tiktok_pixel.lifecycle import RequestPixel, Site

CONFIG = PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0")


def begin(site: Site | None = None, session: dict[str, Any] | None = None) -> RequestPixel:
    return (site or Site(CONFIG)).begin(
        object(), session=lambda: session, session_cookie=session is not None
    )


@pytest.mark.parametrize("status", [200, 204, 304, 404, 500])
def test_a_response_with_nothing_to_do_is_settled_unread(status: int) -> None:
    pixel = begin()
    pixel.events.track("ViewContent")
    pixel.render()  # the tag showed the call
    assert pixel.settles_nothing(status)
    assert pixel.status == status
    # settled: a page streamed after this takes nothing more from the session
    assert pixel.respond(status=status, content_type="text/html") is None


def test_a_redirect_with_calls_not_on_a_page_must_be_settled() -> None:
    pixel = begin(session={})
    pixel.events.track("AddToCart")
    assert not pixel.settles_nothing(302)
    assert pixel.status is None


def test_a_redirect_without_calls_needs_nothing() -> None:
    assert begin().settles_nothing(302)


def test_auto_inject_needs_the_body_of_an_untagged_page() -> None:
    pixel = begin(Site(CONFIG, auto_inject=True))
    assert not pixel.settles_nothing(200)
    tagged = begin(Site(CONFIG, auto_inject=True))
    tagged.render()
    assert tagged.settles_nothing(200)


def test_an_htmx_request_always_needs_its_response_headers() -> None:
    pixel = begin()
    pixel.htmx = Exchange()
    assert not pixel.settles_nothing(200)


def test_a_page_that_showed_carried_calls_must_forget_them() -> None:
    session = {
        "_tiktok_pixel_calls": [
            {"method": "track", "event": "AddToCart", "params": {}, "event_id": "e-1"}
        ]
    }
    pixel = begin(session=session)
    assert "AddToCart" in pixel.render()
    assert not pixel.settles_nothing(200)


def test_a_failed_or_disabled_request_needs_nothing() -> None:
    failed = begin(session={})
    failed.events.track("AddToCart")
    failed.fail()
    assert failed.settles_nothing(302)
    disabled = begin(Site(CONFIG, enabled=False), session={})
    disabled.events.track("AddToCart")
    assert disabled.settles_nothing(302)
