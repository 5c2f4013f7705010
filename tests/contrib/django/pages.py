"""Helpers the Django tests share: read calls and script tags back out of a response."""

from __future__ import annotations

import re
from typing import Any

from tests.payload import payloads

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.I)


def html_of(response: Any) -> str:
    return response.content.decode()


def page_payload(response: Any) -> dict[str, Any]:
    """The one payload on the page (fails if there is none or more than one)."""
    found = payloads(html_of(response))
    assert len(found) == 1, f"expected one pixel payload, found {len(found)}"
    return found[0]


def page_calls(response: Any) -> list[list[Any]]:
    return page_payload(response)["calls"]


def script_tags(html: str) -> list[str]:
    return SCRIPT_TAG.findall(html)
