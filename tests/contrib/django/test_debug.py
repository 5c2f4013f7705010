"""``TIKTOK_PIXEL["DEBUG"]`` in Django: the findings of the calls the tag renders (carried ones
included) are logged, one warning each, and follow the fragment as a data block."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls
from tests.contrib.django.test_pages import carried, put_carried
from tiktok_pixel import Call
from tiktok_pixel.fragment import FINDINGS_ATTRIBUTE
from tiktok_pixel.testing import calls_in

BLOCK = re.compile(
    rf'<script type="application/json" {FINDINGS_ATTRIBUTE}(?: nonce="([^"]*)")?>(.*?)</script>'
)


@pytest.fixture(autouse=True)
def debug(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "DEBUG": True}


def test_carried_calls_are_validated_with_the_pages_own(client, caplog) -> None:
    put_carried(
        client,
        [
            Call("track", "PlaceAnOrder", {"currency": "EUR"}, "order-1").to_dict(),
            Call("identify", None, {"email": "bo@example.org"}).to_dict(),  # tampered: clear
        ],
    )
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        response = client.get("/product/SKU-1/?nonce=dj4ngo")
    html = html_of(response)
    [(nonce, text)] = BLOCK.findall(html)
    assert nonce == "dj4ngo"
    entries = json.loads(text)
    assert [(e["rule"], e["method"], e["event"], e["event_id"]) for e in entries] == [
        ("identify-unhashed", "identify", None, None),
        ("value-missing", "track", "PlaceAnOrder", "order-1"),
        ("event-sunset", "track", "PlaceAnOrder", "order-1"),
    ]
    checks = [r.getMessage() for r in caplog.records if "TikTok pixel check" in r.getMessage()]
    assert checks == [f"TikTok pixel check: {e['severity']} [{e['rule']}] {e['message']}"
                      for e in entries]  # fmt: skip
    assert "bo@example.org" not in caplog.text
    assert "bo@example.org" not in html[html.index(FINDINGS_ATTRIBUTE) :]
    # one payload, read back exactly as without debug
    assert [c[1] for c in page_calls(response) if c[0] == "track"] == [
        "PlaceAnOrder",
        "ViewContent",
    ]
    assert [c.event for c in calls_in(html) if c.method == "track"] == [
        "PlaceAnOrder",
        "ViewContent",
    ]
    assert carried(client) == []  # shown: the cookie is deleted


def test_no_block_without_debug(client, settings, caplog) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE}
    put_carried(client, [Call("track", "PlaceAnOrder", {}, "order-1").to_dict()])
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        html = html_of(client.get("/thanks/"))
    assert FINDINGS_ATTRIBUTE not in html
    assert [c[1] for c in page_calls(client.get("/product/SKU-1/"))] == ["ViewContent"]
    assert not any("TikTok pixel check" in r.getMessage() for r in caplog.records)
