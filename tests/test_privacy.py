"""Privacy: raw PII never reaches the HTML, the logs, exception messages or warnings."""

from __future__ import annotations

import logging
import warnings

import pytest

from tests.conftest import CODE
from tiktok_pixel import InvalidNonce, PageEvents, PixelConfig, hash_field

VALID = {
    "email": "Private.Person@Example.org",
    "phone_number": "+44 7700 900461",
    "external_id": "customer-889123",
    "first_name": "Philippa",
    "last_name": "Quartermaine",
    "zip_code": "EC1A 1BB",
}
INVALID = {
    "email": "philippa.quartermaine-at-example",
    "phone_number": "call me maybe 55512",
    "external_id": ["not", "text"],
    "first_name": {"nested": "Philippa"},
    "zip_code": True,
}
#: Strings that must not appear anywhere; for phone numbers, the distinctive digits. Runs made
#: only of lowercase hex digits are matched whole (the postcode with its second half): random
#: event ids hold any short one, such as "ec1a", by chance.
SECRETS = [
    "Private.Person",
    "private.person",
    "Example.org",
    "7700 900461",
    "7700900461",
    "customer-889123",
    "Philippa",
    "philippa",
    "Quartermaine",
    "quartermaine",
    "EC1A",
    "ec1a 1bb",
    "ec1a1bb",
    "call me maybe",
]


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"raw PII {secret!r} leaked"


@pytest.mark.parametrize("inline", [True, False])
def test_no_raw_pii_in_html_logs_or_warnings(
    inline: bool, caplog: pytest.LogCaptureFixture
) -> None:
    config = PixelConfig(
        pixel_codes=CODE, default_phone_region="GB", inline=inline, runtime_url="/t.js"
    )
    page = PageEvents(config)
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page.identify(**VALID)
        page.identify(**INVALID)  # type: ignore[arg-type]
        # matching fields given to track() as custom parameters are hashed, not sent as-is
        page.track("Lead", email=VALID["email"], phone_number=VALID["phone_number"], value="x")
        page.track("addtocart", first_name=INVALID["email"])
        html = str(page.render())
    assert_clean(html)
    assert_clean(caplog.text)
    assert_clean(" ".join(str(w.message) for w in caught))
    assert "email dropped" in caplog.text  # the problems are reported, by field name
    assert hash_field("email", VALID["email"]) in html
    assert hash_field("phone_number", VALID["phone_number"]) in html


def test_exceptions_do_not_carry_pii() -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    with pytest.raises(InvalidNonce) as info:
        page.render(nonce="Private.Person@Example.org")
    assert_clean(str(info.value))
    with pytest.raises(Exception) as info2:
        hash_field("email", VALID["email"] + " nope")
    assert_clean(str(info2.value))


def test_identity_custom_params_become_a_hashed_identify() -> None:
    page = PageEvents(PixelConfig(pixel_codes=CODE))
    event_id = page.track("Lead", email="a@b.co", value=1)
    identify, track = page.calls
    assert identify.method == "identify" and identify.params == {
        "email": hash_field("email", "a@b.co")
    }
    assert track.params == {"value": 1} and track.event_id == event_id
