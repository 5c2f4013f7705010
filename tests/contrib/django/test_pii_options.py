"""Django: ``TIKTOK_PIXEL["PII_POLICY"]`` is validated by ``manage.py check``."""

from __future__ import annotations

from django.core import checks

from tests.conftest import CODE


def test_a_bad_policy_is_reported(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "PII_POLICY": "off"}
    messages = [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]
    assert [m.id for m in messages] == ["tiktok_pixel.E003"]
    assert "['PII_POLICY'] must be one of 'hash', 'drop' or 'raise'" in messages[0].msg


def test_a_good_policy_passes(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "PII_POLICY": "drop", "URL_PARAMS_ALLOWED": []}
    assert not [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]
