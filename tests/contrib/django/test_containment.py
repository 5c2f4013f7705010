"""Containment in Django: a fault in tracking code never fails the request.

Each fault (a mapping callable that raises, a phone library error, a non-serialisable custom
property, a broken carry cookie) gives a 200 page with the rest of the pixel intact and exactly
one logged warning.
"""

from __future__ import annotations

import logging

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client
from django.urls import path

from tests.carry_forge import COOKIE_NAME, forge
from tests.conftest import CODE
from tests.contrib.faults import (
    FAULTS,
    POISONED_CARRY,
    assert_contained,
    faulty_mappings,
    pixel_warnings,
    track_with_fault,
)


def fault(request: HttpRequest, kind: str) -> HttpResponse:
    track_with_fault(request.tiktok_pixel, kind)  # type: ignore[attr-defined]
    return render(request, "page.html", {"title": "fault"})


urlpatterns = [path("fault/<str:kind>/", fault)]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("broken_phonenumbers")]


@pytest.fixture(autouse=True)
def faulty_settings(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "MAPPINGS": faulty_mappings()}


@pytest.mark.parametrize(("kind", "expected_warning"), FAULTS)
def test_a_fault_gives_a_200_page_with_the_rest_of_the_pixel_and_one_warning(
    client: Client, caplog: pytest.LogCaptureFixture, kind: str, expected_warning: str
) -> None:
    if kind == "cookie":  # signed with the site's key: only the entries are wrong
        client.cookies[COOKIE_NAME] = forge(django_settings.SECRET_KEY, POISONED_CARRY)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/fault/{kind}/")
    assert response.status_code == 200
    assert_contained(response.content.decode(), pixel_warnings(caplog), kind, expected_warning)


def test_configuration_errors_fail_loudly(client: Client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": "not a code"}
    with pytest.raises(ImproperlyConfigured, match="invalid TikTok pixel code"):
        client.get("/fault/none/")
