"""Render a page's calls into the HTML fragment for ``<head>``.

Everything dynamic reaches the page as JSON escaped for a ``<script>`` element (see
:mod:`tiktok_pixel.jsonscript`); the nonce is checked against the base64 alphabet CSP nonces use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup

from .calls import Call
from .config import PixelConfig
from .jsonscript import script_json
from .runtime import DATA_BLOCK_ATTRIBUTE

#: CSP nonces are base64 or base64url (CSP3 "base64-value"); nothing else may reach the attribute.
_NONCE_RE = re.compile(r"[A-Za-z0-9+/_-]{1,256}={0,2}")


class InvalidNonce(ValueError):
    """A CSP nonce with characters outside base64; rendering refuses it instead of escaping it."""


def nonce_attribute(nonce: str | None) -> str:
    """`` nonce="…"`` for a valid nonce, ``""`` for none; :class:`InvalidNonce` otherwise."""
    if nonce is None or nonce == "":
        return ""
    if not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce):
        raise InvalidNonce("CSP nonce must be 1-256 base64 characters (A-Z a-z 0-9 + / _ - =)")
    return f' nonce="{nonce}"'


def page_order(calls: Iterable[Call]) -> list[Call]:
    """identify calls first (identical ones once), then the rest in queue order.

    TikTok attaches identify data to the tracks that follow it, so the page identifies first.
    """
    identifies: list[Call] = []
    others: list[Call] = []
    for call in calls:
        if call.method == "identify":
            if call not in identifies:
                identifies.append(call)
        else:
            others.append(call)
    return identifies + others


def render_calls(config: PixelConfig, calls: Iterable[Call], *, nonce: str | None = None) -> Markup:
    """The ``<head>`` fragment: loader (unless an existing pixel is used) and ``calls``."""
    ordered = page_order(calls)
    attr = nonce_attribute(nonce)
    if config.use_existing_pixel and not ordered:
        return Markup("")
    calls_json = script_json([call.args() for call in ordered])
    if config.inline:
        return Markup(f"<script{attr}>{config.inline_head}{calls_json}}});</script>")
    return Markup(
        f'<script type="application/json" {DATA_BLOCK_ATTRIBUTE}{attr}>'
        f"{config.payload_head}{calls_json}}}</script>"
        f'<script src="{config.runtime_url}" async{attr}></script>'
    )
