"""Flask-rendered pages in headless Chromium: what lands in the ttq queue."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from tests.browser import Site, csp_violations, read_queues, watch_errors
from tests.conftest import CODE
from tests.contrib.flask_shop import create_app

pytestmark = pytest.mark.browser


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_flask_page_with_a_carried_call_fills_the_queue(page: Any, site: Site) -> None:
    errors = watch_errors(page)
    client = create_app().test_client()
    client.post("/cart", data={"event_id": "cart-1"})
    html = client.get("/product/sku-1?email=Ann@Example.com").get_data(as_text=True)
    page.goto(site.add("/product/sku-1", html))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert read_queues(page)["main"] == [
        ["page"],
        ["identify", {"email": sha("ann@example.com")}],
        ["track", "AddToCart", {"value": 25, "currency": "EUR"}, {"event_id": "cart-1"}],
        [
            "track",
            "ViewContent",
            {
                "contents": [{"content_id": "sku-1", "price": 12.5, "quantity": 1}],
                "value": 12.5,
                "currency": "EUR",
            },
            {"event_id": "view-sku-1"},
        ],
    ]
    assert site.sdk_requests() == [
        f"https://analytics.tiktok.com/i18n/pixel/events.js?sdkid={CODE}&lib=ttq"
    ]
    assert errors == []


def test_flask_no_inline_page_under_a_strict_csp(page: Any, site: Site) -> None:
    from flask_talisman import Talisman

    errors = watch_errors(page)
    app = create_app(TIKTOK_PIXEL_INLINE=False, TIKTOK_PIXEL_AUTO_INJECT=True)
    Talisman(
        app,
        force_https=False,
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'strict-dynamic'",
            "connect-src": "https://analytics.tiktok.com",
        },
        content_security_policy_nonce_in=["script-src"],
    )
    client = app.test_client()
    response = client.get("/untagged")
    html = response.get_data(as_text=True)
    [src] = re.findall(r'<script src="([^"]+)" async', html)
    script = client.get(src)
    site.add(src, script.get_data(), "text/javascript")
    headers = {"Content-Security-Policy": response.headers["Content-Security-Policy"]}
    page.goto(site.add("/untagged", html, headers=headers))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    assert read_queues(page)["main"] == [
        ["page"],
        ["track", "ViewContent", {}, {"event_id": "untagged-1"}],
    ]
    assert csp_violations(page) == []
    assert errors == []
