"""Settings for the Django integration tests (``tests/contrib/django``)."""

from __future__ import annotations

from pathlib import Path

TEMPLATE_ROOT = Path(__file__).resolve().parent / "contrib" / "django" / "templates"

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.django_urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "tiktok_pixel.contrib.django",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tiktok_pixel.contrib.django.middleware.TikTokPixelMiddleware",
]

# No database: sessions live in a signed cookie.
DATABASES: dict[str, dict[str, str]] = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

STATIC_URL = "/static/"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [TEMPLATE_ROOT / "django"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "tiktok_pixel.contrib.django.context_processors.tiktok_pixel",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [TEMPLATE_ROOT / "jinja2"],
        "OPTIONS": {"environment": "tiktok_pixel.contrib.django.jinja2.environment"},
    },
]

TIKTOK_PIXEL = {"PIXEL_CODE": "C3MV4QR3G487IS97GFI0"}

LOGGING_CONFIG = None
