"""tiktok_pixel.htmx: reading htmx requests and building the HX-Trigger value."""

from __future__ import annotations

import json

import pytest

from tiktok_pixel.calls import Call
from tiktok_pixel.htmx import EVENT, MAX_HEADER_BYTES, exchange, trigger_value

TRACK = Call("track", "AddToCart", {"value": 25, "currency": "EUR"}, "cart-1")


def getter(headers: dict[str, str]):  # type: ignore[no-untyped-def]
    lowered = {key.lower(): value for key, value in headers.items()}
    return lambda name: lowered.get(name.lower())


def test_only_hx_request_true_is_an_htmx_request() -> None:
    assert exchange(getter({})) is None
    assert exchange(getter({"HX-Request": "false"})) is None
    plain = exchange(getter({"HX-Request": "true"}))
    assert plain is not None and not plain.boosted
    boosted = exchange(getter({"hx-request": "True", "HX-Boosted": "true"}))
    assert boosted is not None and boosted.boosted
    restore = exchange(getter({"HX-Request": "true", "HX-History-Restore-Request": "true"}))
    assert restore is not None and restore.boosted


@pytest.mark.parametrize(
    ("headers", "navigates"),
    [
        ({}, False),
        ({"HX-Redirect": "/thanks"}, True),
        ({"HX-Location": '{"path": "/cart"}'}, True),
        ({"HX-Refresh": "true"}, True),
        ({"HX-Refresh": "false"}, False),
    ],
)
def test_responses_that_navigate(headers: dict[str, str], navigates: bool) -> None:
    ex = exchange(getter({"HX-Request": "true"}))
    assert ex is not None
    ex.read_response(getter(headers))
    assert ex.navigates is navigates


def test_trigger_value_is_the_event_with_the_calls_args() -> None:
    value = trigger_value(None, [TRACK])
    assert value is not None
    assert json.loads(value) == {EVENT: {"calls": [TRACK.args()]}}


@pytest.mark.parametrize(
    ("existing", "kept"),
    [
        ('{"cartUpdated": {"count": 2}}', {"cartUpdated": {"count": 2}}),
        ("cartUpdated, toast", {"cartUpdated": {}, "toast": {}}),
        ("", {}),
    ],
)
def test_trigger_value_keeps_the_apps_triggers(existing: str, kept: dict[str, object]) -> None:
    value = trigger_value(existing, [TRACK])
    assert value is not None
    assert json.loads(value) == {**kept, EVENT: {"calls": [TRACK.args()]}}


def test_an_unreadable_app_trigger_is_left_alone() -> None:
    assert trigger_value("{not json", [TRACK]) is None


def test_trigger_value_is_ascii_with_no_line_breaks() -> None:
    call = Call("track", "Search", {"query": "caf\u00e9\r\n\u2028</script>"}, "s-1")
    value = trigger_value(None, [call])
    assert value is not None
    assert value.isascii()
    assert "\r" not in value and "\n" not in value
    assert json.loads(value)[EVENT]["calls"][0][2]["query"] == "caf\u00e9\r\n\u2028</script>"


def test_too_many_calls_do_not_fit() -> None:
    calls = [Call("track", "ViewContent", {"description": "x" * 200}, f"v-{i}") for i in range(30)]
    assert trigger_value(None, calls[:5]) is not None
    assert trigger_value(None, calls) is None
    assert len(trigger_value(None, calls[:15]) or "") <= MAX_HEADER_BYTES
