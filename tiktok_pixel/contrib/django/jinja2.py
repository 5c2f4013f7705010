"""The Jinja2 template backend: ``{{ tiktok_pixel() }}`` and ``{% tiktok_pixel %}``.

Point the backend at this environment::

    TEMPLATES = [{
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "OPTIONS": {"environment": "tiktok_pixel.contrib.django.jinja2.environment"},
        ...
    }]

or call :func:`install` from your own environment function.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from .page import render_for


@jinja2.pass_context
def tiktok_pixel(context: jinja2.runtime.Context, nonce: str | None = None) -> Markup:
    """The pixel fragment for the request being rendered (Django's backend puts it in context)."""
    return render_for(context.get("request"), nonce=nonce or None)


def install(env: jinja2.Environment) -> jinja2.Environment:
    """Add the ``tiktok_pixel()`` global to ``env``."""
    env.globals["tiktok_pixel"] = tiktok_pixel
    return env


def environment(**options: Any) -> jinja2.Environment:
    """A ``jinja2.Environment`` for Django's Jinja2 backend, with the pixel installed."""
    return install(jinja2.Environment(**options))
