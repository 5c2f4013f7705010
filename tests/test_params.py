from __future__ import annotations

from decimal import Decimal

import pytest

from tiktok_pixel.params import Problems, coerce_params, is_jsonable, to_number, to_text


@pytest.mark.parametrize(
    ("raw", "number"),
    [(3, 3), (19.99, 19.99), ("19.99", 19.99), (" 42 ", 42), (Decimal("10.50"), 10.5), (0, 0)],
)
def test_numbers_are_coerced(raw: object, number: float) -> None:
    assert to_number(raw) == number


@pytest.mark.parametrize("raw", ["abc", "", True, None, float("nan"), "inf", [1], "1,299.00"])
def test_non_numbers_give_none(raw: object) -> None:
    assert to_number(raw) is None


def test_text_from_ids() -> None:
    assert to_text(42) == "42"
    assert to_text("sku-1") == "sku-1"
    assert to_text(None) is None
    assert to_text(True) is None


def test_coerce_params_types_and_problems() -> None:
    problems = Problems()
    params = coerce_params(
        {
            "value": "12.50",
            "currency": "eur",
            "order_id": 1001,
            "content_ids": ["a", 2],
            "num_items": "abc",
            "contents": [
                {"content_id": 7, "price": "9.99", "quantity": 2, "content_name": "Mug"},
                "not an item",
                {"content_id": "x", "price": "free"},
            ],
            "custom_flag": True,
            "nested": {"a": [1, 2, {"b": None}]},
            "bad": {1: "int key"},
            "nothing": None,
        },
        problems,
    )
    assert params == {
        "value": 12.5,
        "currency": "EUR",
        "order_id": "1001",
        "content_ids": ["a", "2"],
        "contents": [
            {"content_id": "7", "price": 9.99, "quantity": 2, "content_name": "Mug"},
            {"content_id": "x"},
        ],
        "custom_flag": True,
        "nested": {"a": [1, 2, {"b": None}]},
    }
    assert problems == [
        "num_items is not a number",
        "contents[1] is not an object",
        "contents[2].price is not a number",
        "bad is not JSON-serialisable",
    ]


def test_unsupported_currency_is_dropped() -> None:
    problems = Problems()
    assert coerce_params({"currency": "XBT", "value": 1}, problems) == {"value": 1}
    assert problems == ["currency is not a code TikTok supports"]


def test_is_jsonable() -> None:
    assert is_jsonable({"a": [1, 2.5, "x", None, True]})
    assert not is_jsonable(float("inf"))
    assert not is_jsonable({"a": object()})
    assert not is_jsonable({"a": {1, 2}})
    deep: list = []
    cursor = deep
    for _ in range(30):
        cursor.append([])
        cursor = cursor[0]
    assert not is_jsonable(deep)


def test_numbers_beyond_2_53_and_lone_surrogates_are_refused() -> None:
    """Values JSON readers cannot take the same way (tiktok_pixel.jsonsafe)."""
    assert to_number(2**53) == 2**53 and to_number(-(2**53)) == -(2**53)
    assert to_number(2**53 + 1) is None and to_number(str(2**60)) is None
    assert to_number(10**4300) is None and to_number("9" * 5000) is None
    assert to_text(2**60) == str(2**60)  # an id: text, kept exactly
    assert to_text(10**4300) is None  # too long for Python to write
    assert to_text("mug \ud800") is None and to_text("mug \u2603") == "mug \u2603"
    assert not is_jsonable({"a": [2**53 + 1]}) and not is_jsonable("\udc00")
    problems = Problems()
    params = coerce_params(
        {"value": 2**60, "order_id": "ok", "description": "x\ud800", "note": {"k": "\ud800"}},
        problems,
    )
    assert params == {"order_id": "ok"}
    assert problems == [
        "value is an integer beyond ±2**53, which JSON readers cannot hold exactly",
        "description holds a lone surrogate (text that is not valid Unicode)",
        "note holds a lone surrogate (text that is not valid Unicode)",
    ]
