"""``RequestPixel.settles_nothing``: which responses an adapter may pass through unread.

The framework-level rules are tested against every adapter in ``tests/contrib/test_lifecycle.py``;
this pins the shortcut the adapters take before gathering what ``respond`` needs.
"""

from __future__ import annotations

import pytest

from tests.carry_forge import forge
from tiktok_pixel import PixelConfig
from tiktok_pixel.carry_cookie import CarryCookie
from tiktok_pixel.htmx import Exchange
from tiktok_pixel.lifecycle import RequestPixel, Site

CONFIG = PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0")
SECRET = "lifecycle-secret"
JAR = CarryCookie(SECRET)


def begin(site: Site | None = None, carried: str | None = None) -> RequestPixel:
    """A request's pixel whose site signs carry cookies with :data:`SECRET`."""
    return (site or Site(CONFIG)).begin(object(), carrier=lambda: JAR, carried=carried)


@pytest.mark.parametrize("status", [200, 204, 304, 404, 500])
def test_a_response_with_nothing_to_do_is_settled_unread(status: int) -> None:
    pixel = begin()
    pixel.events.track("ViewContent")
    pixel.render()  # the tag showed the call
    assert pixel.settles_nothing(status)
    assert pixel.status == status
    # settled: a page streamed after this takes nothing more from the carry cookie
    assert pixel.respond(status=status, content_type="text/html") is None


def test_a_redirect_with_calls_not_on_a_page_must_be_settled() -> None:
    pixel = begin()
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


CARRIED = [{"method": "track", "event": "AddToCart", "params": {}, "event_id": "e-1"}]


def test_a_page_that_showed_carried_calls_must_forget_them() -> None:
    pixel = begin(carried=forge(SECRET, CARRIED))
    assert "AddToCart" in pixel.render()
    assert not pixel.settles_nothing(200)
    pixel.respond(status=200, content_type="text/html")
    assert pixel.cookie == JAR.deletion


def test_a_page_that_refused_a_carry_cookie_must_delete_it() -> None:
    pixel = begin(carried=forge("another secret", CARRIED))
    assert "AddToCart" not in pixel.render()
    assert not pixel.settles_nothing(200)
    assert pixel.cookie == JAR.deletion


def test_a_failed_or_disabled_request_needs_nothing() -> None:
    failed = begin()
    failed.events.track("AddToCart")
    failed.fail()
    assert failed.settles_nothing(302)
    disabled = begin(Site(CONFIG, enabled=False))
    disabled.events.track("AddToCart")
    assert disabled.settles_nothing(302)
