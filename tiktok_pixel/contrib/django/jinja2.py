"""The Jinja2 template backend: ``{% tiktok_pixel %}`` and ``{{ tiktok_pixel() }}``.

Point the backend at this environment::

    TEMPLATES = [{
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "OPTIONS": {"environment": "tiktok_pixel.contrib.django.jinja2.environment"},
        ...
    }]

or call :func:`install` from your own environment function. Both use the framework-free
:class:`tiktok_pixel.contrib.jinja.TikTokPixelExtension`, with a renderer that takes the
collector and the CSP nonce from the request Django's backend puts in the context.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.runtime import Context
from markupsafe import Markup

from ..jinja import TikTokPixelExtension
from .page import render_for


def render_request(context: Context, nonce: str | None) -> Markup:
    """The extension's renderer: the fragment for the request being rendered."""
    return render_for(context.get("request"), nonce=nonce)


def install(env: jinja2.Environment) -> jinja2.Environment:
    """Add the ``{% tiktok_pixel %}`` tag and ``tiktok_pixel()`` global to ``env``, Django-wired."""
    env.add_extension(TikTokPixelExtension)
    env.tiktok_pixel_renderer = render_request  # type: ignore[attr-defined]
    return env


def environment(**options: Any) -> jinja2.Environment:
    """A ``jinja2.Environment`` for Django's Jinja2 backend, with the pixel installed."""
    return install(jinja2.Environment(**options))
