"""``TIKTOK_PIXEL_DEBUG`` in Flask: the findings of exactly the calls a page renders (carried ones
included) are logged, one warning each, and follow the fragment as a data block."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from tests.contrib.flask_shop import create_app
from tests.payload import payloads
from tiktok_pixel.fragment import FINDINGS_ATTRIBUTE
from tiktok_pixel.testing import calls_in

BLOCK = re.compile(
    rf'<script type="application/json" {FINDINGS_ATTRIBUTE}(?: nonce="([^"]*)")?>(.*?)</script>'
)


def blocks(html: str) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(nonce, json.loads(text)) for nonce, text in BLOCK.findall(html)]


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str, str | None, str | None]]:
    return [(e["rule"], e["severity"], e["event"], e["event_id"]) for e in entries]


def records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("tiktok_pixel") and r.getMessage().startswith("TikTok pixel check:")
    ]


def test_off_by_default_no_block_and_no_log(caplog: pytest.LogCaptureFixture) -> None:
    client = create_app().test_client()
    client.post("/checkout")
    client.get("/hop")
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        html = client.get("/thanks").get_data(as_text=True)
    assert FINDINGS_ATTRIBUTE not in html
    assert [c.event for c in calls_in(html) if c.method == "track"] == [
        "PlaceAnOrder",
        "CompletePayment",
    ]
    assert records(caplog) == []


@pytest.mark.parametrize("inline", [True, False])
def test_carried_calls_are_validated_with_the_pages_own(
    inline: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        TIKTOK_PIXEL_DEBUG=True,
        TIKTOK_PIXEL_INLINE=inline,
        TIKTOK_PIXEL_NONCE=lambda request: "fl4sk+N0nce",
    )
    client = app.test_client()
    # POST /checkout tracks PlaceAnOrder and redirects to /hop, which tracks CompletePayment and
    # redirects again: both reach /thanks from the session, never through pixel.calls there.
    client.post("/checkout")
    client.get("/hop")
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        html = client.get("/thanks").get_data(as_text=True)
    [(nonce, entries)] = blocks(html)
    assert nonce == "fl4sk+N0nce"
    assert summary(entries) == [
        ("event-sunset", "warning", "PlaceAnOrder", "order-1"),
        ("event-renamed", "warning", "CompletePayment", "paid-1"),
    ]
    assert records(caplog) == [
        "TikTok pixel check: warning [event-sunset] 'PlaceAnOrder' is sunset in 2027",
        "TikTok pixel check: warning [event-renamed] 'CompletePayment' is now 'Purchase'; use "
        "the new name",
    ]
    # the block is beside the fragment, which is unchanged: one payload, the same calls
    assert len(payloads(html)) == 1
    plain = create_app(TIKTOK_PIXEL_INLINE=inline).test_client()
    plain.post("/checkout")
    plain.get("/hop")
    reference = plain.get("/thanks").get_data(as_text=True)
    assert [c.args()[:3] for c in calls_in(html)] == [c.args()[:3] for c in calls_in(reference)]


def test_identify_findings_hold_no_pii(caplog: pytest.LogCaptureFixture) -> None:
    client = create_app(TIKTOK_PIXEL_DEBUG=True).test_client()
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        html = client.get("/product/sku-1?email=not-an-email").get_data(as_text=True)
    [(_, entries)] = blocks(html)
    assert entries == []  # an unusable email is dropped when hashing: nothing to report
    assert "not-an-email" not in caplog.text


def test_a_second_tag_lists_only_the_calls_it_renders() -> None:
    client = create_app(TIKTOK_PIXEL_DEBUG=True).test_client()
    html = client.get("/twice").get_data(as_text=True)
    assert [entries for _, entries in blocks(html)] == [[], []]  # clean calls, one block per tag
    assert [c.event for c in calls_in(html) if c.method == "track"] == ["ViewContent", "Search"]


def test_auto_inject_carries_the_block_too() -> None:
    client = create_app(TIKTOK_PIXEL_DEBUG=True, TIKTOK_PIXEL_AUTO_INJECT=True).test_client()
    client.post("/checkout")
    client.get("/hop")
    html = client.get("/untagged").get_data(as_text=True)
    [(_, entries)] = blocks(html)
    assert [e["rule"] for e in entries] == ["event-sunset", "event-renamed"]
    assert html.index(FINDINGS_ATTRIBUTE) < html.index("</head>")
