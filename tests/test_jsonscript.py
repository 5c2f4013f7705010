from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tiktok_pixel.jsonscript import script_json

HOSTILE = st.text(
    alphabet=st.sampled_from(list("<>/!-&'\"\\\u2028\u2029\x00 \U0001f600scriptSCRIPT=")),
    max_size=40,
)


def test_html_significant_characters_are_escaped() -> None:
    text = script_json({"name": "</script><script>alert('x')</script>&amp;<!--"})
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert "\\u003c/script\\u003e" in text


def test_line_separators_and_non_ascii_are_escaped() -> None:
    text = script_json(["\u2028\u2029", "é", "\U0001f600", "\x00"])
    assert text == '["\\u2028\\u2029","\\u00e9","\\ud83d\\ude00","\\u0000"]'
    assert text.isascii()


def test_compact_and_order_preserving() -> None:
    assert script_json({"b": 1, "a": [1, 2]}) == '{"b":1,"a":[1,2]}'


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | HOSTILE,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE, inner, max_size=4),
        max_leaves=20,
    )
)
def test_any_value_round_trips_and_never_closes_a_script(value: object) -> None:
    text = script_json(value)
    assert json.loads(text) == value
    lowered = text.lower()
    assert "</script" not in lowered and "<!--" not in lowered and "<script" not in lowered
    assert "\u2028" not in text and "\u2029" not in text and "\x00" not in text
