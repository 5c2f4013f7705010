"""Render a page's calls into the HTML fragment for ``<head>``.

Everything dynamic reaches the page as JSON escaped for a ``<script>`` element (see
:mod:`tiktok_pixel.jsonscript`); the nonce is checked against the base64 alphabet CSP nonces use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from .calls import Call
from .config import PixelConfig
from .jsonscript import script_json
from .runtime import DATA_BLOCK_ATTRIBUTE
from .validation import Finding, log_findings, validate_calls

#: The attribute of debug mode's data block listing the validator's findings (see
#: :func:`render_findings`). Distinct from :data:`DATA_BLOCK_ATTRIBUTE`: the runtime and
#: ``testing.calls_in`` select that exact attribute, so they never read this block.
FINDINGS_ATTRIBUTE = "data-tiktok-pixel-findings"

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
    seen: set[tuple[Any, ...]] = set()
    for call in calls:
        if call.method == "identify":
            key = call.key()
            if key not in seen:
                seen.add(key)
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


def finding_entry(finding: Finding) -> dict[str, Any]:
    """What the findings block says about one finding: no params and no identify values.

    ``method``, ``event`` and ``event_id`` name the call concerned (``None`` for page rules);
    a non-string event name or event id (itself a finding) is left out rather than echoed.
    """
    call = finding.call
    event = call.event if call is not None and isinstance(call.event, str) else None
    event_id = call.event_id if call is not None and isinstance(call.event_id, str) else None
    return {
        "rule": finding.id,
        "severity": finding.severity,
        "message": finding.message,
        "explanation": finding.rule.summary,
        "method": call.method if call is not None else None,
        "event": event,
        "event_id": event_id,
    }


def render_findings(
    config: PixelConfig, calls: Iterable[Call], *, nonce: str | None = None
) -> Markup:
    """Debug mode: log the validator's findings for ``calls`` and render them as a data block.

    ``calls`` are the calls the fragment beside it renders (checked in page order, as
    :func:`render_calls` writes them). Each finding is logged as one warning on the
    ``tiktok_pixel`` logger and listed in ``<script type="application/json"
    data-tiktok-pixel-findings>[...]</script>`` (:func:`finding_entry`; through ``script_json``,
    with the CSP nonce) for a page-side inspector to read. Without ``config.debug``: ``""``,
    and nothing is validated.
    """
    if not config.debug:
        return Markup("")
    attr = nonce_attribute(nonce)
    findings = validate_calls(page_order(calls))
    log_findings(findings)
    data = script_json([finding_entry(finding) for finding in findings])
    return Markup(f'<script type="application/json" {FINDINGS_ATTRIBUTE}{attr}>{data}</script>')
