"""Faults the containment tests inject into the Flask and Django integrations.

Each view tracks with one fault, then tracks ``ViewContent`` (event_id ``"intact"``): the page
must still be served (200) with the rest of the pixel and exactly one logged warning.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tiktok_pixel import PageEvents, hashing
from tiktok_pixel.testing import calls_in

#: Carried entries no version of us wrote: a carry cookie holding them, even one signed with the
#: site's own key, must be ignored with one warning.
POISONED_CARRY = [{"method": 1}, "junk", {"method": "track", "params": "x"}]

#: ``(fault, text the one warning contains)`` for the parametrised tests.
FAULTS = [
    ("mapping", "RuntimeError"),
    ("phone", "phone_number dropped: unexpected RuntimeError"),
    ("unserialisable", "extra is not JSON-serialisable"),
    ("cookie", "carry cookie was ignored"),
]


def exploding_source(event: object) -> object:
    raise RuntimeError("a bug in the shop's own mapping code")


def faulty_mappings() -> dict[str, Any]:
    return {"mappings": [{"name": "product_added", "params": {"value": exploding_source}}]}


def track_with_fault(pixel: PageEvents, kind: str) -> None:
    """What a fault view does: the faulty tracking, then an ordinary ViewContent."""
    if kind == "mapping":
        pixel.segment(
            {
                "type": "track",
                "event": "Product Added",
                "messageId": "m-1",
                "properties": {"product_id": "sku-1", "price": 5},
            }
        )
    elif kind == "phone":
        pixel.identify(email="ann@example.com", phone_number="+44 7700 900123")
    elif kind == "unserialisable":
        pixel.track("Lead", value=3, currency="EUR", extra=object())
    pixel.track("ViewContent", event_id="intact")


def pixel_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("tiktok_pixel") and r.levelno >= logging.WARNING
    ]


def assert_contained(html: str, warnings: list[str], kind: str, expected_warning: str) -> None:
    """One warning naming the fault, no PII in it, and the rest of the pixel on the page."""
    assert len(warnings) == 1, warnings
    assert expected_warning in warnings[0]
    calls = calls_in(html)
    tracked = {(c.event, c.event_id) for c in calls if c.method == "track"}
    assert ("ViewContent", "intact") in tracked
    assert [c.method for c in calls][:2] == ["load", "page"]
    if kind == "mapping":
        assert ("AddToCart", "m-1") in tracked  # the event still goes, without the broken field
    if kind == "phone":
        assert [c.params for c in calls if c.method == "identify"] == [
            {"email": hashing.hash_field("email", "ann@example.com")}
        ]
    for text in warnings:
        assert "7700" not in text and "ann@" not in text and "shop's own" not in text
