"""The HTML fragment we put in ``<head>``: how it is built, how a page is known to have it, and
how its payload is read back.

One module owns the format, so the renderer, auto-injection (:mod:`tiktok_pixel.lifecycle`),
``tiktok_pixel.testing`` and the ``check`` command (through :mod:`tiktok_pixel.pagescan`) agree:

- inline mode: ``<script nonce="…">HEAD PAYLOAD TAIL</script>``, the head and tail of the
  configuration's inline program (:func:`tiktok_pixel.runtime.inline_program`; its payload is
  read back by :func:`tiktok_pixel.runtime.inline_payload`, re-exported here);
- no-inline mode: ``<script type="application/json" data-tiktok-pixel nonce="…">PAYLOAD</script>``
  followed by ``<script src="…/tiktok_pixel.js" async nonce="…"></script>``;
- debug mode adds ``<script type="application/json" data-tiktok-pixel-findings>[…]</script>``.

``PAYLOAD`` is ``{"pixels":[…],…,"calls":[[method,…],…]}``: everything dynamic reaches the page as
JSON escaped for a ``<script>`` element (:mod:`tiktok_pixel.jsonscript`), and the nonce is checked
against the base64 alphabet CSP nonces use. The page-independent text of a configuration (the
program and the payload's settings) is rendered once per :class:`~tiktok_pixel.PixelConfig` and
cached here, so a request only adds its calls.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .calls import Call
from .config import DEFAULT_SDK_URL, PixelConfig
from .jsonscript import script_json
from .runtime import DATA_BLOCK_ATTRIBUTE, inline_payload, inline_program

if TYPE_CHECKING:  # validation reads pages back through pagescan, which imports this module
    from .validation import Finding

__all__ = [
    "DATA_BLOCK_ATTRIBUTE",
    "FINDINGS_ATTRIBUTE",
    "MARKER",
    "Heads",
    "InvalidNonce",
    "finding_entry",
    "has_fragment",
    "heads",
    "inline_payload",
    "nonce_attribute",
    "page_order",
    "read_payload",
    "render_calls",
    "render_findings",
    "render_page",
]

#: The attribute of debug mode's data block listing the validator's findings (see
#: :func:`render_findings`). Distinct from :data:`DATA_BLOCK_ATTRIBUTE`: the runtime and
#: ``testing.calls_in`` select that exact attribute, so they never read this block.
FINDINGS_ATTRIBUTE = "data-tiktok-pixel-findings"

#: Every payload starts with this, inline or in a data block: a page holding it has our fragment
#: (auto-injection then leaves it alone). It costs the page no extra bytes.
MARKER = '{"pixels":'
_MARKER_BYTES = MARKER.encode()

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


@dataclass(frozen=True, slots=True)
class Heads:
    """The page-independent text of a configuration's fragment.

    ``payload`` is the payload up to its calls (``{"pixels":[…],…,"calls":``); ``inline`` is the
    inline script's text up to the same point (the program's head + ``payload``) and ``tail``
    what follows the calls (``}`` closing the payload, then the program's tail).
    """

    payload: str
    inline: str
    tail: str


_heads: dict[int, Heads] = {}
_heads_lock = threading.Lock()


def _build_heads(config: PixelConfig) -> Heads:
    payload = script_json(config.payload_settings())[:-1] + ',"calls":'
    program = inline_program(
        existing=config.use_existing_pixel,
        several=len(config.pixel_codes) > 1,
        hold=config.consent == "hold",
        page=config.auto_page_view,
        options=config.limited_data_use,
        custom_sdk=config.sdk_url != DEFAULT_SDK_URL,
    )
    return Heads(payload, program.head + payload, "}" + program.tail)


def heads(config: PixelConfig) -> Heads:
    """The cached :class:`Heads` of ``config`` (built on first use, forgotten with the config)."""
    found = _heads.get(id(config))
    if found is None:
        built = _build_heads(config)
        with _heads_lock:
            found = _heads.get(id(config))
            if found is None:
                found = _heads[id(config)] = built
                weakref.finalize(config, _heads.pop, id(config), None)
    return found


#: ``Markup(text)`` for text built here (escaped JSON, checked attributes), without
#: ``Markup.__new__``'s look for an ``__html__`` method: a Python call on every page.
_markup: Callable[[str], Markup] = functools.partial(str.__new__, Markup)


def page_order(calls: Iterable[Call]) -> list[Call]:
    """identify calls first (identical ones once), then the rest in queue order.

    TikTok attaches identify data to the tracks that follow it, so the page identifies first.
    Linear in the number of calls.
    """
    identifies: list[Call] = []
    seen: set[Any] = set()
    others: list[Call] = []
    for call in calls:
        if call.method == "identify":
            key = call.key()
            if key not in seen:
                seen.add(key)
                identifies.append(call)
        else:
            others.append(call)
    return identifies + others if identifies else others


def render_calls(
    config: PixelConfig,
    calls: Iterable[Call],
    *,
    nonce: str | None = None,
    runtime_url: str | None = None,
) -> Markup:
    """The ``<head>`` fragment: loader (unless an existing pixel is used) and ``calls``.

    ``runtime_url`` (no-inline mode) overrides ``config.runtime_url``: an integration mounted
    under a path prefix passes the URL it serves the script at.
    """
    ordered = page_order(calls)
    attr = nonce_attribute(nonce) if nonce else ""
    if config.use_existing_pixel and not ordered:
        return Markup("")
    head = _heads.get(id(config)) or heads(config)
    calls_json = script_json(list(map(Call.args, ordered)))
    if config.inline:
        return _markup(f"<script{attr}>{head.inline}{calls_json}{head.tail}</script>")
    return _markup(
        f'<script type="application/json" {DATA_BLOCK_ATTRIBUTE}{attr}>'
        f"{head.payload}{calls_json}}}</script>"
        f'<script src="{runtime_url or config.runtime_url}" async{attr}></script>'
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
    from .validation import log_findings, validate_calls

    attr = nonce_attribute(nonce)
    findings = validate_calls(page_order(calls))
    log_findings(findings)
    data = script_json([finding_entry(finding) for finding in findings])
    return Markup(f'<script type="application/json" {FINDINGS_ATTRIBUTE}{attr}>{data}</script>')


def render_page(
    config: PixelConfig,
    calls: Iterable[Call],
    *,
    nonce: str | None = None,
    runtime_url: str | None = None,
) -> Markup:
    """:func:`render_calls`, then in debug mode :func:`render_findings` for the same calls."""
    if not config.debug:
        return render_calls(config, calls, nonce=nonce, runtime_url=runtime_url)
    calls = calls if isinstance(calls, list | tuple) else list(calls)
    html = render_calls(config, calls, nonce=nonce, runtime_url=runtime_url)
    if html:
        html += render_findings(config, calls, nonce=nonce)
    return html


def has_fragment(body: str | bytes) -> bool:
    """Whether a page already holds one of our fragments (inline or data block)."""
    if isinstance(body, str):
        return MARKER in body
    return _MARKER_BYTES in body


#: How deep a payload read back from a page may nest: ours is at most a few levels; a hostile
#: page must not make the reader recurse without end.
MAX_PAYLOAD_DEPTH = 64


def too_deep(value: object, limit: int = MAX_PAYLOAD_DEPTH) -> bool:
    """Whether ``value`` (JSON data) nests deeper than ``limit``; iterative, so never recursion."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def read_payload(text: str) -> dict[str, Any]:
    """A payload read back from a page; ``ValueError`` if it is not what the runtime reads.

    A page being checked is untrusted: JSON nested past :data:`MAX_PAYLOAD_DEPTH` and values of
    the wrong JSON type (``pixels`` not strings, ``options`` not an object) are refused here,
    as one problem, rather than failing later with a traceback.
    """
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("the payload is not JSON") from None
    if too_deep(payload):
        raise ValueError("the payload is nested too deeply")
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("pixels", []), list)
        and all(isinstance(code, str) for code in payload.get("pixels", []))
        and isinstance(payload.get("options") or {}, dict)
        and isinstance(payload.get("calls"), list)
        and all(isinstance(c, list) and c and isinstance(c[0], str) for c in payload["calls"])
    ):
        raise ValueError('the payload is not {"pixels": [...], "calls": [[method, ...], ...]}')
    return payload
