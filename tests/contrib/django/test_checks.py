"""``manage.py check`` reports every broken setting and setup, with an id and a hint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from tests.conftest import CODE
from tiktok_pixel.contrib.django.conf import get_settings

MIDDLEWARE = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
CSP = "csp.middleware.CSPMiddleware"


def pixel_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]


def ids() -> list[str]:
    return sorted(m.id for m in pixel_messages())


def only(check_id: str) -> checks.CheckMessage:
    found = [m for m in pixel_messages() if m.id == check_id]
    assert len(found) == 1, ids()
    return found[0]


def test_the_test_settings_pass() -> None:
    assert pixel_messages() == []
    call_command("check")


def test_a_bad_pixel_code_fails_manage_py_check(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": [CODE, "12345"]}
    message = only("tiktok_pixel.E001")
    assert message.level == checks.ERROR
    assert "'12345'" in message.msg and "Events Manager" in message.hint
    with pytest.raises(SystemCheckError, match=r"tiktok_pixel\.E001"):
        call_command("check")


def test_an_unknown_option_is_reported_with_a_suggestion(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJCT": True}
    message = only("tiktok_pixel.E002")
    assert "AUTO_INJCT" in message.msg
    assert message.hint.startswith("Did you mean AUTO_INJECT?")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"USE_EXISTING": "yes"}, "['USE_EXISTING'] must be True or False, not 'yes'"),
        ({"INLINE": 0}, "['INLINE'] must be True or False"),
        ({"CONSENT": "granted"}, "['CONSENT'] must be None or 'hold'"),
        ({"DEFAULT_CURRENCY": "EURO"}, "['DEFAULT_CURRENCY'] 'EURO'"),
        ({"SDK_URL": "javascript:alert(1)"}, "['SDK_URL'] must be"),
        ({"ENABLED": "no"}, "['ENABLED'] must be True or False, not 'no'"),
        ({"AUTO_INJECT": 1}, "['AUTO_INJECT'] must be True or False"),
        ({"NONCE": 42}, "['NONCE'] must be a callable"),
        ({"NONCE": "tests.nowhere.nonce"}, "cannot be imported"),
    ],
)
def test_a_wrong_type_or_value_is_reported(settings, options: dict[str, Any], needle) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, **options}
    message = only("tiktok_pixel.E003")
    assert needle in message.msg and message.hint


def test_every_problem_is_reported_at_once(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": "bad", "COLOUR": 1, "ENABLED": "yes"}
    assert ids() == ["tiktok_pixel.E001", "tiktok_pixel.E002", "tiktok_pixel.E003"]


def test_a_setting_that_is_not_a_dict(settings) -> None:
    settings.TIKTOK_PIXEL = CODE
    assert "must be a dict" in only("tiktok_pixel.E004").msg


def test_a_missing_code_is_an_error_unless_disabled_or_existing(settings) -> None:
    settings.TIKTOK_PIXEL = {}
    assert "USE_EXISTING" in only("tiktok_pixel.E005").hint
    settings.TIKTOK_PIXEL = {"ENABLED": False}
    assert ids() == []
    settings.TIKTOK_PIXEL = {"USE_EXISTING": True}
    assert ids() == []


def test_disabled_still_checks_the_options_it_has(settings) -> None:
    settings.TIKTOK_PIXEL = {"ENABLED": False, "CONSENT": "maybe"}
    assert ids() == ["tiktok_pixel.E003"]


def test_auto_inject_without_the_middleware_is_an_error(settings) -> None:
    settings.MIDDLEWARE = [SESSIONS]
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJECT": True}
    assert MIDDLEWARE in only("tiktok_pixel.E006").hint
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE}
    message = only("tiktok_pixel.W001")
    assert message.level == checks.WARNING and "redirect" in message.msg
    call_command("check")  # warnings alone do not fail the check


def test_middleware_order(settings) -> None:
    settings.MIDDLEWARE = [MIDDLEWARE]  # carrying calls over a redirect needs no session
    assert ids() == []
    settings.MIDDLEWARE = [SESSIONS, MIDDLEWARE, CSP]
    assert f"after {CSP!r}" in only("tiktok_pixel.W003").hint
    settings.MIDDLEWARE = [SESSIONS, CSP, MIDDLEWARE]
    assert ids() == []


def test_no_inline_needs_the_runtime_served(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "INLINE": False}
    assert ids() == []  # the test URLconf includes tiktok_pixel.contrib.django.urls
    settings.ROOT_URLCONF = "tests.contrib.django.bare_urls"
    assert "STATICFILES_FINDERS" in only("tiktok_pixel.E007").hint
    settings.STATICFILES_FINDERS = ["tiktok_pixel.contrib.django.finders.TikTokPixelFinder"]
    assert ids() == []


def test_a_jinja2_backend_without_the_pixel_is_reported(settings) -> None:
    plain = {"BACKEND": "django.template.backends.jinja2.Jinja2", "NAME": "plain", "DIRS": []}
    settings.TEMPLATES = [*settings.TEMPLATES, plain]
    assert "'plain'" in only("tiktok_pixel.W004").msg
    cp = "tiktok_pixel.contrib.django.context_processors.tiktok_pixel"
    with_cp = {**plain, "OPTIONS": {"context_processors": [cp]}}
    settings.TEMPLATES = [*settings.TEMPLATES[:-1], with_cp]
    assert ids() == []


def test_a_broken_setting_fails_loudly_at_first_use(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": "nope"}
    with pytest.raises(ImproperlyConfigured, match=r"tiktok_pixel\.E001: .*'nope'"):
        Client().get("/product/X/")
    with pytest.raises(ImproperlyConfigured):
        get_settings()


def test_mappings_none_is_not_passed_and_events_api_is_kept_raw(settings) -> None:
    events_api = {"ACCESS_TOKEN": "t", "TEST_EVENT_CODE": "TEST123"}
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "MAPPINGS": None, "EVENTS_API": events_api}
    assert ids() == []
    assert get_settings().events_api is events_api
