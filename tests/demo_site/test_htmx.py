"""The demo's htmx add-to-cart, server side: a fragment whose AddToCart is in HX-Trigger."""

from __future__ import annotations

import json

from demo_site import create_app


def test_htmx_add_to_cart_answers_a_fragment_with_the_call_in_hx_trigger() -> None:
    client = create_app({"TESTING": True}).test_client()
    listing = client.get("/").get_data(as_text=True)
    assert 'hx-post="/cart"' in listing
    assert "htmx.min.js" in listing
    answer = client.post(
        "/cart", data={"product_id": "mug-enamel-blue"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "Added · 1 in cart"
    calls = json.loads(answer.headers["HX-Trigger"])["tiktok-pixel"]["calls"]
    assert [call[0] for call in calls] == ["identify", "track"]  # the visitor's hashed id
    call = calls[1]
    assert call[:2] == ["track", "AddToCart"]
    assert call[2]["contents"][0]["content_id"] == "mug-enamel-blue"
    # shown through the header: the cart page does not repeat it
    assert "AddToCart" not in client.get("/cart").get_data(as_text=True)


def test_vendored_htmx_is_the_pinned_npm_release() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    vendored = (root / "demo_site" / "static" / "htmx.min.js").read_bytes()
    pinned = json.loads((root / "tests" / "js" / "package.json").read_text())
    lock = json.loads((root / "tests" / "js" / "package-lock.json").read_text())
    version = pinned["dependencies"]["htmx.org"]
    assert lock["packages"]["node_modules/htmx.org"]["version"] == version
    npm_copy = root / "tests" / "js" / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
    assert npm_copy.read_bytes() == vendored
    assert (
        (root / "demo_site" / "static" / "htmx.LICENSE.txt")
        .read_text()
        .startswith("Zero-Clause BSD")
    )
