"""Chromium runs what the Django app serves, under django-csp's nonce policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from csp.constants import NONCE, SELF

from tests.browser import Site, csp_violations, read_queues, watch_errors
from tests.conftest import CODE
from tiktok_pixel import hash_field

pytestmark = pytest.mark.browser

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
CSP = "csp.middleware.CSPMiddleware"
PIXEL = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"


def serve(client: Any, site: Site, path: str) -> str:
    """Put Django's response for ``path`` (and the runtime it loads) on the in-memory site."""
    response = client.get(path)
    headers = {"Content-Security-Policy": response["Content-Security-Policy"]}
    html = response.content.decode()
    for src in re.findall(r'<script src="([^"]+)"', html):
        script = client.get(src)
        site.add(src, script.content, content_type=script["Content-Type"])
    return site.add(path.split("?")[0], html, headers=headers)


@pytest.mark.parametrize("inline", [True, False])
def test_a_redirected_purchase_runs_under_a_strict_csp(
    client: Any, settings: Any, page: Any, site: Site, inline: bool
) -> None:
    settings.MIDDLEWARE = [SESSIONS, CSP, PIXEL]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"script-src": [SELF, NONCE, "https://analytics.tiktok.com"]}
    }
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "INLINE": inline, "AUTO_INJECT": True}
    errors = watch_errors(page)
    client.post("/cart/add/", {"email": "jane@example.com", "sku": "S-1"})
    page.goto(serve(client, site, "/plain/?track=mugs"))
    page.wait_for_function("() => (window.__sdkRuns || []).length === 1")
    queues = read_queues(page)
    assert [call[0] for call in queues["main"]] == ["page", "identify", "track", "track"]
    assert queues["main"][1] == ["identify", {"email": hash_field("email", "jane@example.com")}]
    assert [call[1] for call in queues["main"][2:]] == ["AddToCart", "Search"]
    assert csp_violations(page) == [] and errors == []
