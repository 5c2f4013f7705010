"""Every script tag carries the CSP nonce: from django-csp, the NONCE callable or the tag."""

from __future__ import annotations

import logging
import re

import pytest
from csp.constants import NONCE, SELF

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_calls, script_tags

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
CSP = "csp.middleware.CSPMiddleware"
PIXEL = "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware"


def nonce_from_header(request) -> str:
    """The NONCE callable of these tests: the nonce a front proxy put in a header."""
    return request.headers["X-Test-Nonce"]


def failing_nonce(request) -> str:
    raise LookupError("no nonce today")


@pytest.fixture
def django_csp(settings):
    settings.MIDDLEWARE = [SESSIONS, CSP, PIXEL]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}


def header_nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    return match.group(1)


def assert_every_script_has(html: str, nonce: str, count: int) -> None:
    tags = script_tags(html)
    assert len(tags) == count
    assert all(f'nonce="{nonce}"' in tag for tag in tags), tags


PAGES = ["/product/N/", "/product/N/?template=context.html", "/jinja/", "/jinja/?template=tag.html"]


@pytest.mark.parametrize("inline", [True, False])
@pytest.mark.parametrize("path", PAGES)
def test_django_csp_nonce_on_every_script_tag(client, settings, django_csp, inline, path) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "INLINE": inline}
    response = client.get(path)
    nonce = header_nonce(response)
    assert_every_script_has(html_of(response), nonce, 1 if inline else 2)
    assert len(page_calls(response)) == 1


def test_django_csp_nonce_on_injected_tags(client, settings, django_csp) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJECT": True, "INLINE": False}
    response = client.get("/plain/?track=shoes")
    assert_every_script_has(html_of(response), header_nonce(response), 2)


def test_each_response_gets_its_own_nonce(client, django_csp) -> None:
    first = header_nonce(client.get("/product/A/"))
    second = header_nonce(client.get("/product/B/"))
    assert first != second


def test_the_nonce_callable_when_no_csp_library_is_installed(client, settings) -> None:
    settings.TIKTOK_PIXEL = {
        "PIXEL_CODE": CODE,
        "INLINE": False,
        "NONCE": "tests.contrib.django.test_nonce.nonce_from_header",
    }
    for path in ("/product/N/", "/jinja/?template=tag.html"):
        response = client.get(path, headers={"X-Test-Nonce": "cHJveHktbm9uY2U="})
        assert_every_script_has(html_of(response), "cHJveHktbm9uY2U=", 2)


def test_the_nonce_callable_may_be_given_as_a_function(client, settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "NONCE": nonce_from_header}
    response = client.get("/product/N/", headers={"X-Test-Nonce": "abc123"})
    assert_every_script_has(html_of(response), "abc123", 1)


@pytest.mark.parametrize("path", ["/product/N/?nonce=explicit99", "/jinja/?nonce=explicit99"])
def test_an_explicit_nonce_wins(client, django_csp, path) -> None:
    assert_every_script_has(html_of(client.get(path)), "explicit99", 1)


@pytest.mark.parametrize("path", ["/product/N/", "/jinja/?template=tag.html", "/jinja/"])
def test_an_unusable_nonce_renders_nothing_with_one_warning(client, settings, caplog, path) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "NONCE": nonce_from_header}
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        response = client.get(path, headers={"X-Test-Nonce": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert script_tags(html_of(response)) == []
    [record] = [r for r in caplog.records if r.name.startswith("tiktok_pixel")]
    assert "InvalidNonce" in record.getMessage() and "alert" not in record.getMessage()


def test_a_failing_nonce_callable_renders_nothing(client, settings, caplog) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "NONCE": failing_nonce}
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        response = client.get("/product/N/")
    assert response.status_code == 200 and script_tags(html_of(response)) == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("tiktok_pixel")] == [
        "TikTok pixel not rendered (LookupError); the page is served without it"
    ]


def test_csp_middleware_in_the_wrong_place_injects_nothing(client, settings, caplog) -> None:
    """Our middleware outside django-csp's reads the nonce after the header is written."""
    settings.MIDDLEWARE = [SESSIONS, PIXEL, CSP]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "AUTO_INJECT": True}
    with caplog.at_level(logging.WARNING, logger="tiktok_pixel"):
        response = client.get("/plain/")
    assert response.status_code == 200 and script_tags(html_of(response)) == []
    assert len([r for r in caplog.records if r.name.startswith("tiktok_pixel")]) == 1
