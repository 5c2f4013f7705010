"""Every rule of the request lifecycle, on every framework adapter (``tiktok_pixel.lifecycle``).

The ``shop`` fixture is parametrised over the adapters of ``lifecycle_sites.FACTORIES``: the same
paths, the same behaviour, the same expectations. A new adapter (ASGI) is one more entry there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.carry_forge import forge
from tests.contrib.lifecycle_sites import FACTORIES, UNTAGGED, Adapter, nonce_from_header
from tests.events_api.fake_api import TOKEN, FakeEventsApi
from tiktok_pixel.calls import Call
from tiktok_pixel.carry import MAX_CARRIED, encode
from tiktok_pixel.carry_cookie import COOKIE_NAME, MAX_AGE
from tiktok_pixel.testing import assert_not_tracked, assert_tracked, calls_in

from .lifecycle_sites import setup_django

setup_django()

CODE = "C3MV4QR3G487IS97GFI0"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)

MakeShop = Callable[..., Adapter]


@pytest.fixture(params=sorted(FACTORIES))
def make_shop(request: pytest.FixtureRequest) -> Iterator[MakeShop]:
    """``make_shop(testing=False, **options)``: the shop on one framework (Django option names)."""
    made: list[Any] = []

    def make(*, testing: bool = False, **options: Any) -> Adapter:
        settings = {"PIXEL_CODE": CODE, **options}
        shop = FACTORIES[request.param](settings, testing)
        made.append(shop)
        return shop

    yield make
    for shop in made:
        shop.close()


@pytest.fixture
def shop(make_shop: MakeShop) -> Adapter:
    return make_shop()


def tracked(html: str) -> list[str]:
    """The event ids the page tracks, in order."""
    return [str(call.event_id) for call in calls_in(html).tracks]


# --- carried across a redirect -------------------------------------------------------------


def test_a_redirect_carries_its_calls_to_the_next_page_once(shop: Adapter) -> None:
    assert shop.post("/post?ids=a").status == 303
    assert shop.post("/post?ids=b,c").status == 303  # a second redirect in a row adds to them
    assert tracked(shop.get("/page").text) == ["a", "b", "c"]
    assert tracked(shop.get("/page").text) == []


def test_at_most_max_carried_calls_wait_the_newest_kept(
    shop: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [f"id-{i}" for i in range(MAX_CARRIED + 5)]
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        shop.post("/post?ids=" + ",".join(ids))
    assert tracked(shop.get("/page").text) == ids[-MAX_CARRIED:]
    assert any("the oldest 5 were dropped" in r.getMessage() for r in caplog.records)


def test_head_304_and_json_leave_carried_calls_waiting(shop: Adapter) -> None:
    shop.post("/post?ids=a")
    head = shop.head("/page")
    assert head.status == 200 and head.text == ""
    assert shop.get("/not-modified").status == 304
    assert shop.get("/json").text.strip().startswith("{")
    assert tracked(shop.get("/page").text) == ["a"]
    assert tracked(shop.get("/page").text) == []


def test_a_streamed_page_shows_its_own_calls_and_leaves_carried_ones_waiting(
    shop: Adapter,
) -> None:
    shop.post("/post?ids=a")
    assert tracked(shop.get("/stream").text) == ["s-1"]
    assert tracked(shop.get("/page").text) == ["a"]


def test_no_session_and_no_vary_cookie_when_nothing_is_carried(shop: Adapter) -> None:
    first = shop.get("/page?track=ViewContent&id=v-1")
    assert tracked(first.text) == ["v-1"]
    assert first.cookies == []
    assert "Cookie" not in first.headers.get("Vary", "")
    posted = shop.post("/post?ids=a")
    assert [cookie.partition("=")[0] for cookie in posted.cookies] == [COOKIE_NAME]  # no session
    shown = shop.get("/page")  # the carry cookie is deleted; nothing waits any more
    assert [cookie.partition("=")[0] for cookie in shown.cookies] == [COOKIE_NAME]
    again = shop.get("/page")
    assert again.cookies == []
    assert "Cookie" not in again.headers.get("Vary", "")


def attributes(cookie: str) -> list[str]:
    return [part.strip() for part in cookie.split(";")[1:]]


def test_the_carry_cookie_is_short_lived_httponly_lax_and_its_page_private(
    shop: Adapter,
) -> None:
    [carried] = shop.post("/post?ids=a").cookies
    assert carried.startswith(f"{COOKIE_NAME}=") and len(carried) < 600
    assert "AddToCart" not in carried  # compressed and signed, not readable at a glance
    assert attributes(carried) == [f"Max-Age={MAX_AGE}", "Path=/", "HttpOnly", "SameSite=Lax"]
    page = shop.get("/page")
    assert tracked(page.text) == ["a"]
    [deleted] = page.cookies
    assert deleted.startswith(f"{COOKIE_NAME}=;")
    assert "Max-Age=0" in attributes(deleted) and "Path=/" in attributes(deleted)
    assert "Cookie" in page.headers["Vary"]
    assert page.headers["Cache-Control"] == "private"  # never from a shared cache


def test_a_tampered_or_foreign_carry_cookie_is_ignored_and_deleted_with_one_warning(
    shop: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    good = encode([Call("track", "AddToCart", {"value": 5}, "forged-1")])
    for value in (forge("not the site's secret", good), forge(shop.secret, good) + "x", "junk"):
        shop.set_cookie(COOKIE_NAME, value)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
            page = shop.get("/page?track=Search&id=own-1")
        assert page.status == 200 and tracked(page.text) == ["own-1"]
        assert [r.getMessage() for r in caplog.records] == [
            "TikTok pixel: the carry cookie was ignored (bad signature)"
            if value != "junk"
            else "TikTok pixel: the carry cookie was ignored (malformed)"
        ]
        [deleted] = page.cookies
        assert deleted.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in deleted
    shop.set_cookie(COOKIE_NAME, forge(shop.secret, good))  # the site's own: shown
    assert tracked(shop.get("/page").text) == ["forged-1"]


# --- a request that raised -----------------------------------------------------------------


def events_api(api: FakeEventsApi) -> dict[str, Any]:
    return {
        "ACCESS_TOKEN": TOKEN,
        "ENDPOINT": api.url,
        "FLUSH_INTERVAL": 0.05,
        "BACKOFF_BASE": 0.01,
        "TIMEOUT": 2.0,
        "SHUTDOWN_TIMEOUT": 2.0,
    }


def test_an_error_page_renders_and_mirrors_none_of_the_failed_requests_calls(
    make_shop: MakeShop, api: FakeEventsApi
) -> None:
    shop = make_shop(EVENTS_API=events_api(api), NONCE=nonce_from_header)
    shop.post("/post?ids=a")
    error = shop.get("/raise", X_Nonce="n0nce")
    assert error.status == 500 and "error" in error.text
    page = calls_in(error.text)
    assert page.tracks == [] and page.pixels == [CODE]  # the bare loader, no Purchase, no "a"
    assert all('nonce="n0nce"' in tag for tag in SCRIPT_TAG.findall(error.text))
    # the carried call waited for the next good page, which mirrors its own Purchase
    assert tracked(shop.get("/page?track=Purchase&id=ok-1").text) == ["a", "ok-1"]
    assert shop.mirror().sender.flush(10)
    assert sorted(event["event_id"] for event in api.events()) == ["a", "ok-1"]


# --- rendered once, with the nonce, in the right place --------------------------------------


def test_a_page_renders_each_call_once_however_often_the_tag_renders(shop: Adapter) -> None:
    shop.post("/post?ids=a")
    html = shop.get("/double").text
    assert tracked(html) == ["a", "v-1"]
    assert len(SCRIPT_TAG.findall(html)) == 1  # the second tag had nothing new to render


@pytest.mark.parametrize("inline", [True, False])
@pytest.mark.parametrize("path", ["/page?track=Search&id=q", "/double", "/raise", "/untagged"])
def test_every_script_carries_the_nonce(make_shop: MakeShop, inline: bool, path: str) -> None:
    shop = make_shop(NONCE=nonce_from_header, AUTO_INJECT=True, INLINE=inline)
    shop.post("/post?ids=a")
    html = shop.get(path, X_Nonce="abc123").text
    ours = [tag for tag in SCRIPT_TAG.findall(html) if "siteRan" not in tag and tag != "<script>"]
    assert ours, html
    assert all('nonce="abc123"' in tag for tag in ours), ours


def test_injection_goes_before_the_real_head_end(make_shop: MakeShop) -> None:
    shop = make_shop(AUTO_INJECT=True)
    html = shop.get("/untagged").text
    real_end = UNTAGGED.rindex("</head>")
    assert html[:real_end] == UNTAGGED[:real_end]  # the site's script and comment untouched
    assert html.endswith(UNTAGGED[real_end:])
    assert calls_in(html).pixels == [CODE]
    assert html.count(f'"pixels":["{CODE}"]') == 1


def test_injection_leaves_a_page_with_a_fragment_alone(make_shop: MakeShop) -> None:
    shop = make_shop(AUTO_INJECT=True)
    html = shop.get("/page?track=Search&id=q").text
    assert html.count('"pixels":') == 1 and tracked(html) == ["q"]


def test_the_no_inline_script_is_served_alike_and_unknown_digests_are_not_found(
    make_shop: MakeShop,
) -> None:
    shop = make_shop(INLINE=False)
    [src] = re.findall(r'<script src="([^"]+)" async', shop.get("/page").text)
    script = shop.get(src)
    assert script.status == 200 and "data-tiktok-pixel" in script.text
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert shop.get(src, If_None_Match=script.headers["ETag"]).status == 304
    assert shop.get(re.sub(r"\.[0-9a-f]{16}\.js$", ".0123456789abcdef.js", src)).status == 404


# --- testing mode ----------------------------------------------------------------------------


def test_the_pixel_renders_in_a_test_setup(make_shop: MakeShop) -> None:
    shop = make_shop(testing=True)
    response = shop.get("/page?track=ViewContent&id=v-9")
    assert_tracked(response.text, "ViewContent")
    assert_not_tracked(response.text, "Purchase")
    shop.post("/post?ids=cart-1")
    assert_tracked(shop.get("/page").text, "AddToCart", value=5, currency="EUR")


@pytest.mark.browser
def test_in_chromium_the_injected_page_runs_the_sites_script_and_the_pixel(
    make_shop: MakeShop, page: Any, site: Any
) -> None:
    from tests.browser import read_queues, watch_errors

    errors = watch_errors(page)
    shop = make_shop(AUTO_INJECT=True)
    shop.post("/post?ids=cart-1")
    page.goto(site.add("/untagged", shop.get("/untagged").text))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert page.evaluate("() => window.siteRan") == len("</head>")
    assert read_queues(page)["main"] == [
        ["page"],
        ["track", "AddToCart", {"value": 5, "currency": "EUR"}, {"event_id": "cart-1"}],
    ]
    assert errors == []
