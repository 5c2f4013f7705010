from __future__ import annotations

import pytest

from tiktok_pixel.resources import static_path
from tiktok_pixel.runtime import compact, program, static_script


def test_static_script_is_built_from_the_current_runtime() -> None:
    assert static_path("tiktok_pixel.js").read_text(encoding="utf-8") == static_script(), (
        "static/tiktok_pixel.js is stale: run `make static`"
    )


def test_compact_keeps_strings_and_needed_spaces() -> None:
    source = 'var a = "x // y  z"; // comment\n/* block */ return  new Date;\nif (a) b();'
    assert compact(source) == 'var a="x // y  z";return new Date;if(a)b();'


def test_modes() -> None:
    loader, existing, both = program(), program(loader=False, existing=True), program(existing=True)
    assert "q.load=" in loader and "setTimeout" not in loader
    assert "setTimeout" in existing and "q.load=" not in existing and "events.js" not in existing
    assert "q.load=" in both and "setTimeout" in both and "c.existing" in both
    with pytest.raises(ValueError):
        program(loader=False)


def test_inline_programs_leave_out_what_their_config_cannot_need() -> None:
    from tiktok_pixel import PixelConfig
    from tiktok_pixel.fragment import heads

    plain = heads(PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0")).inline
    assert "holdConsent()" not in plain and "instance(P[" not in plain
    assert "c.options" not in plain and "c.page" not in plain and "c.sdk" not in plain
    assert '"https://analytics.tiktok.com/i18n/pixel/events.js"' in plain
    full = heads(
        PixelConfig(
            pixel_codes=["C3MV4QR3G487IS97GFI0", "CRF8I2BC77UD2MA14E3G"],
            consent="hold",
            limited_data_use=True,
            sdk_url="/sdk/events.js",
        )
    ).inline
    assert "q.holdConsent()" in full and "q.instance(P[j])" in full
    assert "q.load(P[i],c.options)" in full and 'u="/sdk/events.js"' in full
    assert "page()" in full
    assert (
        "page()"
        not in heads(PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0", auto_page_view=False)).inline
    )
