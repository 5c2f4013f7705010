"""``tiktok_pixel.testing`` against Django's test client: redirects are named, and followed."""

from __future__ import annotations

import pytest

from tiktok_pixel.testing import assert_tracked


def test_a_redirect_response_is_named_with_how_to_follow_it(client) -> None:
    form = {"email": "ann@example.com", "sku": "SKU-9"}
    response = client.post("/cart/add/", form)
    assert response.status_code == 302
    with pytest.raises(AssertionError) as info:
        assert_tracked(response, "AddToCart")
    message = str(info.value)
    assert message.startswith("the response is a redirect (302 to '/thanks/')")
    assert "follow=True" in message

    followed = client.post("/cart/add/", form, follow=True)
    assert_tracked(followed, "AddToCart", content_ids="SKU-9", value=5)
