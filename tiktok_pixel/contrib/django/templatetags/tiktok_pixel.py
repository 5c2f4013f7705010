"""``{% load tiktok_pixel %}{% tiktok_pixel %}``: the pixel fragment for this request's page.

``{% tiktok_pixel nonce=my_nonce %}`` overrides the nonce found through django-csp or the
``NONCE`` setting. The request comes from the template context (``render(request, …)``).
"""

from __future__ import annotations

from typing import Any

from django import template
from markupsafe import Markup

from ..page import render_for

register = template.Library()


@register.simple_tag(takes_context=True, name="tiktok_pixel")
def tiktok_pixel_tag(context: template.Context, nonce: str | None = None) -> Markup:
    request: Any = getattr(context, "request", None) or context.get("request")
    return render_for(request, nonce=nonce or None)
