"""The JavaScript that runs on the page: our own TikTok base code plus the call replay.

The source is ``templates/runtime/runtime.js``; ``make js`` builds it with terser into two committed
files that this module reads once, at import (see ``docs/runtime.md``):

- ``static/tiktok_pixel.inline.json``: one inline program per configuration, each leaving out
  what its configuration cannot need. Inline mode renders ``<script>`` + the program with the
  payload put in its place + ``</script>``;
- ``static/tiktok_pixel.js``: the no-inline runtime, which reads ``<script type="application/json"
  data-tiktok-pixel>`` data blocks (every setting then comes from the payload).

The payload is ``{"pixels": [codes], "calls": [[method, ...args], ...]}`` plus, only when not the
default, ``"sdk"``, ``"options"``, ``"hold": true``, ``"page": false`` and ``"existing": true``.
Both forms also replay the calls of a later ``tiktok-pixel`` DOM event (:data:`EVENT_NAME`).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import NamedTuple

from .resources import static_path

STATIC_SCRIPT_NAME = "tiktok_pixel.js"
INLINE_PROGRAMS_NAME = "tiktok_pixel.inline.json"

#: Selector the static script uses to find the page's data blocks.
DATA_BLOCK_ATTRIBUTE = "data-tiktok-pixel"

#: The DOM event (a ``CustomEvent`` on ``document``, or bubbling to it) whose
#: ``detail.calls`` — ``[[method, ...args], ...]`` — the runtime replays on the page's ``ttq``,
#: as htmx dispatches it from an ``HX-Trigger: {"tiktok-pixel": {"calls": [...]}}`` header.
EVENT_NAME = "tiktok-pixel"


class InlineProgram(NamedTuple):
    """An inline program cut where the payload goes: the script is ``head + payload + tail``."""

    head: str
    tail: str


def _load_programs() -> dict[str, InlineProgram]:
    built = json.loads(static_path(INLINE_PROGRAMS_NAME).read_text(encoding="utf-8"))
    placeholder = built["PAYLOAD"]
    programs = {}
    for key, text in built["programs"].items():
        head, tail = text.split(placeholder)
        programs[key] = InlineProgram(head, tail)
    return programs


_PROGRAMS = _load_programs()


def inline_program(
    *,
    existing: bool = False,
    several: bool = False,
    hold: bool = False,
    page: bool = True,
    options: bool = False,
    custom_sdk: bool = False,
) -> InlineProgram:
    """The inline program for a configuration.

    ``existing``: use the site's own ``ttq`` (no loader; ``page``, ``options`` and
    ``custom_sdk`` then cannot matter); ``several``: route each call to every pixel through
    ``ttq.instance(code)``; ``hold``: ``holdConsent()`` first; ``page``: ``page()`` with each
    load; ``options``: pass the payload's load options; ``custom_sdk``: take the events.js URL
    from the payload's ``"sdk"``.
    """
    flags = [("existing", existing), ("several", several), ("hold", hold)]
    if not existing:
        flags += [("nopage", not page), ("options", options), ("sdk", custom_sdk)]
    return _PROGRAMS["+".join(name for name, on in flags if on)]


def inline_programs() -> tuple[InlineProgram, ...]:
    """Every inline program there is, to recognise our fragments on a page."""
    return tuple(_PROGRAMS.values())


def inline_payload(script_text: str) -> str | None:
    """The payload text of an inline fragment's script; ``None`` if the script is not one.

    Raises ``ValueError`` for a fragment cut short (it starts like one but does not end like it).
    """
    text = script_text.strip()
    started = False
    for head, tail in _PROGRAMS.values():
        if text.startswith(head):
            if text.endswith(tail) and len(text) >= len(head) + len(tail):
                return text[len(head) : len(text) - len(tail)]
            started = True
    if started:
        raise ValueError("truncated inline fragment")
    return None


@cache
def served_static_script() -> tuple[bytes, str]:
    """``static/tiktok_pixel.js`` as served, and the digest versioned URLs carry (16 hex digits
    of its SHA-256), so the integrations can cache it for a year and change the URL on release."""
    body = static_path(STATIC_SCRIPT_NAME).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]
