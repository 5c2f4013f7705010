from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CODE, CODE2
from tests.payload import payloads
from tiktok_pixel import Call, InvalidNonce, PageEvents, PixelConfig, render_calls
from tiktok_pixel.runtime import inline_payload


def test_existing_pixel_with_nothing_to_send_renders_nothing() -> None:
    assert render_calls(PixelConfig(use_existing_pixel=True), []) == ""


def test_payload_carries_settings_and_calls_in_page_order() -> None:
    config = PixelConfig(pixel_codes=[CODE, CODE2], limited_data_use=True)
    html = render_calls(
        config,
        [
            Call("track", "Search", {"query": "x"}, "e1"),
            Call("identify", None, {"external_id": "h"}),
        ],
    )
    [payload] = payloads(html)
    assert payload == {
        "pixels": [CODE, CODE2],
        "options": {"limited_data_use": True},
        "calls": [
            ["identify", {"external_id": "h"}],
            ["track", "Search", {"query": "x"}, {"event_id": "e1"}],
        ],
    }


def test_no_inline_mode_renders_a_data_block_and_the_static_script() -> None:
    config = PixelConfig(
        pixel_codes=CODE, inline=False, runtime_url="/_tiktok_pixel/tiktok_pixel.js"
    )
    html = str(render_calls(config, [Call("track", "Lead", {}, "e1")], nonce="n0nce"))
    assert html.startswith('<script type="application/json" data-tiktok-pixel nonce="n0nce">{')
    assert html.endswith(
        '<script src="/_tiktok_pixel/tiktok_pixel.js" async nonce="n0nce"></script>'
    )
    # no inline JavaScript at all: a data block and an external script
    tags = re.findall(r"<script\b([^>]*)>", html)
    assert len(tags) == 2 and all('type="application/json"' in t or "src=" in t for t in tags)
    assert payloads(html)[0]["calls"] == [["track", "Lead", {}, {"event_id": "e1"}]]


@pytest.mark.parametrize("nonce", ['a"b', "a b", "a>b", "<x>", "é", "a'b", "a;b", "a" * 300])
def test_invalid_nonce_is_rejected_not_rendered(nonce: str) -> None:
    with pytest.raises(InvalidNonce):
        render_calls(PixelConfig(pixel_codes=CODE), [], nonce=nonce)


def test_every_script_tag_carries_the_nonce() -> None:
    for config in (
        PixelConfig(pixel_codes=CODE),
        PixelConfig(pixel_codes=CODE, inline=False, runtime_url="/t.js"),
    ):
        html = str(render_calls(config, [], nonce="r4nd0m=="))
        tags = re.findall(r"<script\b[^>]*>", html)
        assert tags and all('nonce="r4nd0m=="' in tag for tag in tags)


FIELD_TEXT = st.text(
    alphabet=st.sampled_from(list("<>/!-&'\"\\\u2028\u2029\x00 \U0001f600aSs=`")), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(event=FIELD_TEXT.filter(lambda s: s.strip()), text=FIELD_TEXT, key=FIELD_TEXT)
def test_any_string_in_any_field_round_trips_and_stays_inside_the_script(
    event: str, text: str, key: str
) -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    page.track(
        event,
        query=text,
        description=text,
        order_id=text,
        content_type=text,
        contents=[{"content_id": text, "content_name": text}],
        event_id="e",
        **{"custom_" + key: text},
    )
    html = str(page.render())
    # exactly one script element: nothing in the data closed it or opened another
    assert html.count("<script") == 1 and html.count("</script>") == 1
    assert html.endswith("</script>")
    data = inline_payload(html[html.index(">") + 1 : -len("</script>")])
    assert data is not None
    assert "<" not in data and "\u2028" not in data and "\x00" not in data
    payload = json.loads(data)
    [track] = payload["calls"]
    assert track[1] == event.strip()
    params = track[2]
    assert params["query"] == text and params["description"] == text
    assert params["order_id"] == text and params["custom_" + key] == text
    assert params["contents"] == [{"content_id": text, "content_name": text}]
