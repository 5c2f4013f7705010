"""XSS: whatever a shop puts in any field, the fragment parses (as a browser's HTML5 parser
would) into exactly the script elements we meant, and their JSON gives the input back."""

from __future__ import annotations

import json
from typing import Any

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CODE, CODE2
from tiktok_pixel import InvalidNonce, PageEvents, PixelConfig
from tiktok_pixel.fragment import heads

#: Characters that matter to an HTML tokenizer, a JS parser or a JSON decoder.
HOSTILE_ALPHABET = list("<>/!-&'\"\\`=;:() \t\n\r\u2028\u2029\x00\ufeff\U0001f600\U00010348aAsS")
HOSTILE = st.text(alphabet=st.sampled_from(HOSTILE_ALPHABET), max_size=24)
PAYLOADS = st.sampled_from(
    [
        "</script><script>alert(1)</script>",
        "</SCRIPT >",
        "<!--<script>",
        "<\\/script>",
        "]]></script>",
        "\u2028alert(1)//",
        "');alert(1);//",
        '"},{"x":"',
        "<img src=x onerror=alert(1)>",
    ]
)
TEXT = HOSTILE | PAYLOADS

INLINE = PixelConfig(pixel_codes=[CODE, CODE2], consent="hold", limited_data_use=True)
NO_INLINE = PixelConfig(pixel_codes=CODE, inline=False, runtime_url="/static/tiktok_pixel.js")


def scripts(fragment: str) -> list[Any]:
    document = html5lib.parse(
        f"<!doctype html><html><head>{fragment}</head><body></body></html>",
        namespaceHTMLElements=False,
    )
    return document.findall(".//script")


def payload_of(config: PixelConfig, fragment: str) -> tuple[dict[str, Any], list[Any]]:
    elements = scripts(fragment)
    if config.inline:
        assert len(elements) == 1
        code = elements[0].text
        head = heads(config)
        prefix = head.inline[: -len(head.payload)]
        suffix = head.tail[1:]
        assert code.startswith(prefix) and code.endswith(suffix)
        return json.loads(code[len(prefix) : -len(suffix)]), elements
    assert len(elements) == 2
    data, runtime = elements
    assert data.get("type") == "application/json" and runtime.get("src") == config.runtime_url
    assert (runtime.text or "") == ""
    return json.loads(data.text), elements


@settings(max_examples=200, deadline=None)
@given(
    event=TEXT.filter(lambda s: s.strip()),
    key=TEXT,
    value=TEXT,
    item=st.dictionaries(st.sampled_from(["content_id", "content_name", "brand", "x"]), TEXT),
    inline=st.booleans(),
)
def test_every_field_reaches_the_page_as_data(
    event: str, key: str, value: str, item: dict[str, str], inline: bool
) -> None:
    config = INLINE if inline else NO_INLINE
    page = PageEvents(config)
    event_id = page.track(
        event,
        query=value,
        description=value,
        order_id=value,
        shop_id=value,
        search_string=value,
        content_ids=[value],
        contents=[item],
        event_id="e-" + value if value.strip() else None,
        **{"custom_" + key: value, "nested": {key: [value]}},
    )
    payload, _ = payload_of(config, str(page.render()))
    [call] = payload["calls"]
    assert call[0] == "track" and call[1] == event.strip()
    params = call[2]
    for name in ("query", "description", "order_id", "shop_id", "search_string"):
        assert params[name] == value
    assert params["content_ids"] == [value]
    assert params["contents"] == [item]
    assert params["custom_" + key] == value and params["nested"] == {key: [value]}
    assert call[3] == {"event_id": event_id}


@settings(max_examples=200, deadline=None)
@given(
    nonce=st.text(alphabet=st.sampled_from([*HOSTILE_ALPHABET, "+", "=", "_", "1"]), max_size=12)
)
def test_a_nonce_is_rendered_verbatim_or_rejected(nonce: str) -> None:
    body = nonce.rstrip("=")
    base64_chars = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
    valid = nonce == "" or (
        bool(body) and len(nonce) - len(body) <= 2 and set(body) <= base64_chars
    )
    page = PageEvents(NO_INLINE)
    try:
        fragment = str(page.render(nonce=nonce))
    except InvalidNonce:
        assert not valid
        return
    assert valid
    elements = scripts(fragment)
    assert len(elements) == 2
    for element in elements:
        assert element.get("nonce") == (nonce or None)


@pytest.mark.parametrize("nonce", ['abc" onload="alert(1)', "abc def", "abc>", "'self'", "a\x00b"])
def test_hostile_nonces_are_rejected(nonce: str) -> None:
    with pytest.raises(InvalidNonce) as info:
        PageEvents(INLINE).render(nonce=nonce)
    assert nonce not in str(info.value)


def test_identify_values_cannot_break_out_either() -> None:
    page = PageEvents(INLINE)
    page.identify(external_id="</script><script>alert(1)</script>", city="</script>")
    payload, _ = payload_of(INLINE, str(page.render()))
    identify = payload["calls"][0]
    assert identify[0] == "identify" and identify[1]["city"] == "script"
