from __future__ import annotations

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
