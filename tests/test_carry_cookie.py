"""The carry cookie: signed with a derived key, short-lived, within 4 KB, refused quietly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import time

import pytest

from tests.carry_forge import forge, read
from tiktok_pixel import Call, carry
from tiktok_pixel.carry_cookie import (
    COOKIE_NAME,
    MAX_AGE,
    MAX_COOKIE_BYTES,
    CarryCookie,
    _b64,
    _unb64,
    derive_key,
    for_secret,
    private_cache_control,
)

SECRET = "s3cret"
EMAIL = "ann@example.com"


def call(event_id: str = "cart-1", **params: object) -> Call:
    return Call("track", "AddToCart", {"value": 5, "currency": "EUR", **params}, event_id)


def value_of(header: str) -> str:
    return header.split(";", 1)[0].partition("=")[2]


def test_a_value_reads_back_as_the_same_calls() -> None:
    jar = CarryCookie(SECRET)
    calls = [Call("identify", None, {"email": "a" * 64}), call(), call("cart-2", note="héllo")]
    value = jar.dumps(calls)
    assert jar.read(value) == calls
    assert read(value) == carry.encode(calls)  # the documented format: anyone can read it


def test_an_uncompressed_value_is_read_too() -> None:
    jar = CarryCookie(SECRET)
    assert jar.read(forge(SECRET, carry.encode([call()]), compress=False)) == [call()]


def test_the_key_is_derived_with_a_salt_naming_its_purpose() -> None:
    key = derive_key(SECRET)
    assert key not in (SECRET.encode(), hashlib.sha256(SECRET.encode()).digest())
    assert derive_key(SECRET.encode()) == key and derive_key("other") != key
    # a value signed with the bare secret (as another use of the same secret might) is refused
    jar = CarryCookie(SECRET)
    head = jar.dumps([call()]).rpartition(".")[0]
    bare = hmac.new(SECRET.encode(), head.encode(), hashlib.sha256).digest()
    assert jar.loads(f"{head}.{base64.urlsafe_b64encode(bare).rstrip(b'=').decode()}") is None


def test_old_secrets_are_still_read_and_new_values_signed_with_the_current_one() -> None:
    old = CarryCookie("old-secret").dumps([call()])
    rotated = CarryCookie("new-secret", fallbacks=["old-secret"])
    assert rotated.read(old) == [call()]
    assert CarryCookie("new-secret").read(rotated.dumps([call()])) == [call()]
    assert CarryCookie("new-secret").loads(old) is None


def refusal(jar: CarryCookie, value: str, caplog: pytest.LogCaptureFixture) -> str:
    """The one warning for a refused value (``loads`` gives None and never raises)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tiktok_pixel"):
        assert jar.loads(value) is None
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert EMAIL not in message and (len(value) < 4 or value not in message)
    return message


def test_tampered_foreign_expired_malformed_and_oversized_values_are_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jar = CarryCookie(SECRET)
    good = jar.dumps([call(email_seen=EMAIL)])
    data, issued, signature = good.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    now = time.time()
    cases = {
        "bad signature": [
            f"{data}.{issued}.{flipped}{signature[1:]}",
            f"{data[:-2]}AA.{issued}.{signature}",
            forge("another site's secret", carry.encode([call()])),
            forge(SECRET, []).replace(".", ".1", 1),
        ],
        "expired": [
            forge(SECRET, carry.encode([call()]), issued=now - MAX_AGE - 5),
            forge(SECRET, carry.encode([call()]), issued=now + 3600),  # from the future
        ],
        "malformed": [
            "",
            data,
            "é.1.x",
            forge(SECRET, {"method": "track"}),
            forge(SECRET, carry.encode([call(str(i)) for i in range(carry.MAX_CARRIED + 1)])),
        ],
        "oversized": ["a" * (MAX_COOKIE_BYTES + 1)],
    }
    for reason, values in cases.items():
        for value in values:
            assert reason in refusal(jar, value, caplog), value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_base64url_is_the_standard_one_without_padding() -> None:
    for size in range(70):
        data = os.urandom(size) + bytes([0xFB, 0xFF])[: size % 3]  # bytes that encode to - and _
        assert _b64(data) == b64(data)
        assert _unb64(b64(data)) == data


def test_what_is_not_json_or_not_zlib_is_malformed(caplog: pytest.LogCaptureFixture) -> None:
    jar = CarryCookie(SECRET)
    key = derive_key(SECRET)
    now = int(time.time())
    for head in (
        f"jbm90IGpzb24.{now}",
        f"znot-zlib.{now}",
        f"xAAAA.{now}",
        f"j!!.{now}",
        f"jW10.x{now}",
        f"jW10.-{now}",
        f"j{b64(b'[]x')}.{now}",  # JSON with something after it
        f"j{b64(b'[] ')}.{now}",
        f"j.{now}",  # no JSON at all
    ):
        sig = hmac.new(key, head.encode(), hashlib.sha256).digest()
        value = f"{head}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
        assert "malformed" in refusal(jar, value, caplog)


def test_new_calls_follow_those_waiting_and_the_newest_are_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jar = CarryCookie(SECRET)
    waiting = jar.dumps([call(f"w-{i}") for i in range(15)])
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        merged = jar.merged(waiting, [call(f"n-{i}") for i in range(10)])
    ids = [c.event_id for c in jar.read(merged)]
    assert ids == [f"w-{i}" for i in range(5, 15)] + [f"n-{i}" for i in range(10)]
    assert "the oldest 5 were dropped" in caplog.text
    # a refused value waiting counts as none
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        assert jar.read(jar.merged("junk", [call("n")])) == [call("n")]
    assert "the carry cookie was ignored (malformed)" in caplog.text


def test_the_cookie_stays_within_4_kb_dropping_the_oldest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jar = CarryCookie(SECRET, path="/shop", secure=True)
    noise = [
        "".join(hashlib.sha256(f"{i}-{j}".encode()).hexdigest() for j in range(6))
        for i in range(carry.MAX_CARRIED)
    ]  # hex digits compress little: 20 of them cannot fit
    calls = [call(f"id-{i}", description=text) for i, text in enumerate(noise)]
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        header = jar.header(jar.dumps(calls))
    assert len(header.encode()) <= MAX_COOKIE_BYTES
    kept = jar.read(value_of(header))
    assert 0 < len(kept) < len(calls) and kept == calls[-len(kept) :]
    assert f"the oldest {len(calls) - len(kept)} were dropped" in caplog.text


def test_attributes_and_the_prebuilt_deletion() -> None:
    jar = CarryCookie(SECRET, path="/shop", secure=True)
    header = jar.header(jar.dumps([call()]))
    name, _, rest = header.partition("=")
    assert name == COOKIE_NAME
    attributes = rest.split("; ")[1:]
    assert attributes == [f"Max-Age={MAX_AGE}", "Path=/shop", "HttpOnly", "SameSite=Lax", "Secure"]
    assert jar.deletion == (
        f"{COOKIE_NAME}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/shop; "
        "HttpOnly; SameSite=Lax; Secure"
    )
    assert "Secure" not in CarryCookie(SECRET).deletion
    assert "Path=/;" in CarryCookie(SECRET, path="").deletion


def test_a_path_cannot_add_attributes() -> None:
    jar = CarryCookie(SECRET, path="/a; Domain=evil.example\r\nX: y")
    names = [part.partition("=")[0] for part in jar.deletion.split("; ")]
    assert names == [COOKIE_NAME, "Expires", "Max-Age", "Path", "HttpOnly", "SameSite"]
    assert "\r" not in jar.deletion and "\n" not in jar.deletion
    assert "; Path=/a%3B%20Domain=evil.example%0D%0AX:%20y;" in jar.deletion


def test_for_secret_needs_a_secret_and_makes_each_cookie_once() -> None:
    assert for_secret(None) is None and for_secret("") is None
    first = for_secret(SECRET, fallbacks=["old"], secure=True, path="/x")
    assert first is for_secret(SECRET, fallbacks=("old",), secure=True, path="/x")
    assert first is not for_secret(SECRET, path="/x")
    with pytest.raises(ValueError, match="non-empty secret"):
        CarryCookie("")


def test_secrets_never_show_in_a_repr() -> None:
    assert SECRET not in repr(CarryCookie(SECRET))


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        (None, "private"),
        ("", "private"),
        ("max-age=60", "private, max-age=60"),
        ("public, max-age=600, s-maxage=3600", "private, max-age=600"),
        ("no-store", "no-store"),
        ("private, max-age=5", "private, max-age=5"),
    ],
)
def test_a_response_with_the_cookie_is_never_kept_by_a_shared_cache(
    existing: str | None, expected: str
) -> None:
    assert private_cache_control(existing) == expected
