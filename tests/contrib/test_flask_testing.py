"""``tiktok_pixel.testing`` against Flask's test client: redirects are named, and followed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.contrib.flask_shop import create_app
from tiktok_pixel.testing import assert_identified, assert_tracked


def test_a_redirect_response_is_named_with_how_to_follow_it() -> None:
    client = create_app().test_client()
    response = client.post("/cart", data={"event_id": "cart-1"})
    assert response.status_code == 302
    with pytest.raises(AssertionError) as info:
        assert_tracked(response, "AddToCart")
    message = str(info.value)
    assert message.startswith("the response is a redirect (302 to '/cart')")
    assert "follow_redirects=True" in message and "follow=True" in message
    with pytest.raises(AssertionError, match="the response is a redirect"):
        assert_identified(response)


def test_the_followed_redirect_holds_the_calls() -> None:
    client = create_app().test_client()
    response = client.post("/cart", data={"event_id": "cart-1"}, follow_redirects=True)
    assert assert_tracked(response, "AddToCart").event_id == "cart-1"


def test_a_page_without_the_call_says_nothing_about_redirects() -> None:
    client = create_app().test_client()
    with pytest.raises(AssertionError) as info:
        assert_tracked(client.get("/"), "AddToCart")
    assert "redirect" not in str(info.value)


def test_pytest_hides_the_helpers_own_frames(tmp_path: Path) -> None:
    test = tmp_path / "test_site.py"
    test.write_text(
        "from tiktok_pixel.testing import assert_tracked\n\n\n"
        "def test_fails():\n"
        '    assert_tracked("<html></html>", "AddToCart")\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:django", str(test)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout
    assert "'AddToCart' was not tracked" in result.stdout
    assert "calls = calls_in(source)" not in result.stdout  # the helper's source is not printed
    assert 'assert_tracked("<html></html>", "AddToCart")' in result.stdout
