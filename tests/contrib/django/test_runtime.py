"""No-inline mode: the page loads ``static/tiktok_pixel.js``, served the Django way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from tests.conftest import CODE
from tests.contrib.django.pages import html_of, page_payload
from tiktok_pixel.resources import static_path

FINDER = "tiktok_pixel.contrib.django.finders.TikTokPixelFinder"
SCRIPT = static_path("tiktok_pixel.js").read_bytes()


@pytest.fixture(autouse=True)
def no_inline(settings) -> None:
    settings.TIKTOK_PIXEL = {"PIXEL_CODE": CODE, "INLINE": False}


def runtime_src(response) -> str:
    [src] = re.findall(r'<script src="([^"]+)" async', html_of(response))
    return src


def test_the_view_serves_the_runtime_under_a_content_hashed_url(client) -> None:
    response = client.get("/product/SKU-1/")
    assert "TiktokAnalyticsObject" not in html_of(response)  # no inline JavaScript at all
    assert page_payload(response)["calls"][0][1] == "ViewContent"
    src = runtime_src(response)
    assert re.fullmatch(r"/tiktok-pixel/tiktok_pixel\.[0-9a-f]{16}\.js", src)
    script = client.get(src)
    assert script.status_code == 200
    assert script.content == SCRIPT
    assert script["Content-Type"] == "text/javascript; charset=utf-8"
    assert script["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(src, headers={"If-None-Match": script["ETag"]})
    assert again.status_code == 304


def test_an_unknown_digest_is_not_found(client) -> None:
    """As in Flask: a year-long cache must never hold a script under the wrong digest."""
    assert client.get("/tiktok-pixel/tiktok_pixel.0123456789abcdef.js").status_code == 404
    assert client.post("/tiktok-pixel/tiktok_pixel.0123456789abcdef.js").status_code == 405


def test_the_staticfiles_finder_serves_it_with_the_sites_static_files(client, settings) -> None:
    settings.STATICFILES_FINDERS = [*settings.STATICFILES_FINDERS, FINDER]
    assert runtime_src(client.get("/product/SKU-1/")) == "/static/tiktok_pixel/tiktok_pixel.js"
    assert finders.find("tiktok_pixel/tiktok_pixel.js") == str(static_path("tiktok_pixel.js"))
    assert finders.find("tiktok_pixel/other.js") is None


def test_collectstatic_copies_the_runtime(settings, tmp_path: Path) -> None:
    settings.STATICFILES_FINDERS = [FINDER]
    settings.STATIC_ROOT = str(tmp_path)
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "tiktok_pixel" / "tiktok_pixel.js").read_bytes() == SCRIPT
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["tiktok_pixel.js"]


def test_the_manifest_storage_url_is_used(client, settings, tmp_path: Path) -> None:
    settings.STATICFILES_FINDERS = [FINDER]
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    src = runtime_src(client.get("/product/SKU-1/"))
    assert re.fullmatch(r"/static/tiktok_pixel/tiktok_pixel\.[0-9a-f]{12}\.js", src)
    assert (tmp_path / src.removeprefix("/static/")).read_bytes() == SCRIPT


def test_nothing_serving_the_runtime_fails_loudly(client, settings) -> None:
    settings.ROOT_URLCONF = "tests.contrib.django.bare_urls"
    with pytest.raises(ImproperlyConfigured, match="STATICFILES_FINDERS"):
        client.get("/product/SKU-1/")


def test_the_finder_checks_the_script_is_installed(settings) -> None:
    from django.core import checks

    from tiktok_pixel.contrib.django.finders import TikTokPixelFinder

    assert TikTokPixelFinder().check() == []
    settings.STATICFILES_FINDERS = [FINDER]
    assert not [m for m in checks.run_checks() if m.id and m.id.startswith("tiktok_pixel.")]
    finder = TikTokPixelFinder()
    finder.path = finder.path.with_name("missing.js")
    [error] = finder.check()
    assert error.id == "tiktok_pixel.E008" and "missing.js" in error.msg
