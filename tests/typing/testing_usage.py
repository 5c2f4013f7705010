"""``tiktok_pixel.testing``: assertions in a site's own test suite."""

from __future__ import annotations

from flask import Flask

from tiktok_pixel import Call
from tiktok_pixel.testing import (
    PageCalls,
    assert_identified,
    assert_not_tracked,
    assert_tracked,
    assert_valid,
    calls_in,
)

app = Flask(__name__)
client = app.test_client()
response = client.post("/cart", data={"sku": "mug"}, follow_redirects=True)

call: Call = assert_tracked(response, "AddToCart", value=19.99, contents=[{"content_id": "mug"}])
assert_tracked("<html>…</html>", "AddToCart", event_id=call.event_id)
assert_identified(response, email="Ann@Example.com")
assert_not_tracked(response, "Purchase")
calls: PageCalls = calls_in(response)
events: list[str] = calls.events
findings = assert_valid(response, warnings=True)

# Misuses that must stay errors.
assert_tracked(response)  # type: ignore[call-arg]
assert_tracked(response, "AddToCart", "value")  # type: ignore[call-arg]
assert_identified(response, "ann@example.com")  # type: ignore[call-arg]
wrong: str = calls_in(response)  # type: ignore[assignment]
