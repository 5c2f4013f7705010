"""``{% load tiktok_pixel %}{% tiktok_pixel %}``: the pixel fragment for this request's page.

``{% tiktok_pixel nonce=my_nonce %}`` (or ``{% tiktok_pixel my_nonce %}``) overrides the nonce
found through django-csp or the ``NONCE`` setting; ``{% tiktok_pixel as pixel_html %}`` stores
the fragment in a variable instead. The request comes from the template context
(``render(request, …)``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import FilterExpression, Parser, Token, kwarg_re
from markupsafe import Markup

from ..page import render_for

register = template.Library()


class TikTokPixelNode(template.Node):
    """The tag's node: ``simple_tag``'s generic argument handling would cost more per page than
    the tag's own work, for the one optional argument the tag takes."""

    def __init__(self, nonce: FilterExpression | None, target: str | None) -> None:
        self.nonce = nonce
        self.target = target

    def render(self, context: template.Context) -> str:
        request: Any = getattr(context, "request", None) or context.get("request")
        nonce = None if self.nonce is None else self.nonce.resolve(context)
        html: Markup = render_for(request, nonce=nonce or None)
        if self.target is not None:
            context[self.target] = html
            return ""
        return html


@register.tag(name="tiktok_pixel")
def tiktok_pixel_tag(parser: Parser, token: Token) -> TikTokPixelNode:
    """``{% tiktok_pixel [nonce=EXPR | EXPR] [as NAME] %}``."""
    name, *bits = token.split_contents()
    target = None
    if len(bits) >= 2 and bits[-2] == "as":
        target, bits = bits[-1], bits[:-2]
    if len(bits) > 1:
        raise template.TemplateSyntaxError(f"'{name}' takes one argument at most, the nonce")
    nonce = None
    if bits:
        found = kwarg_re.match(bits[0])
        key, value = found.groups() if found else (None, bits[0])
        if key not in (None, "nonce"):
            message = f"'{name}' takes only a nonce= argument, not {key!r}"
            raise template.TemplateSyntaxError(message)
        nonce = parser.compile_filter(value)
    return TikTokPixelNode(nonce, target)
