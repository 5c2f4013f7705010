from __future__ import annotations

import dataclasses

import pytest

from tiktok_pixel import Call


def test_args_are_what_the_runtime_applies() -> None:
    assert Call("track", "Search", {"query": "q"}, "e1").args() == [
        "track",
        "Search",
        {"query": "q"},
        {"event_id": "e1"},
    ]
    assert Call("identify", None, {"email": "h"}).args() == ["identify", {"email": "h"}]
    assert Call("holdConsent").args() == ["holdConsent"]


def test_dict_round_trip() -> None:
    call = Call("track", "AddToCart", {"value": 1}, "e1", "C3MV4QR3G487IS97GFI0")
    assert Call.from_dict(call.to_dict()) == call
    assert Call.from_dict(Call("identify", None, {"a": "b"}).to_dict()).method == "identify"


@pytest.mark.parametrize("bad", [None, {}, {"method": 1}, {"method": "track", "params": []}])
def test_malformed_dicts_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        Call.from_dict(bad)  # type: ignore[arg-type]


def test_track_call_is_the_dataclass_call() -> None:
    from tiktok_pixel.calls import track_call

    params = {"value": 1}
    built = track_call("AddToCart", params, "id-1")
    assert built == Call("track", "AddToCart", params, "id-1")
    assert built.params is params and built.pixel_code is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.event = "Other"  # type: ignore[misc]
