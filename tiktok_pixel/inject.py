"""Where auto-injection puts the fragment: before the document's real ``</head>``.

A ``</head>`` may also appear inside a script string (``"</head>"`` written by a site's own
script), a ``<style>``, a ``<title>``/``<textarea>`` or an HTML comment; splicing the fragment in
there breaks the site's script or hides the fragment. So, like django-debug-toolbar, which puts
its toolbar before the *last* ``</body>``, we use the last ``</head>``, and we skip the raw text
of those elements and comments while looking for it.
"""

from __future__ import annotations

import re

#: What starts text that cannot hold the real end tag, or the end tag itself.
_TOKEN = re.compile(
    rb"<!--|<(script|style|textarea|title|noscript)(?=[\s/>])|</head\s*>", re.IGNORECASE
)
#: Where the raw text of each element ends.
_CLOSE = {
    name: re.compile(rb"</" + name + rb"[\s/>]", re.IGNORECASE)
    for name in (b"script", b"style", b"textarea", b"title", b"noscript")
}


def head_end(body: bytes) -> int | None:
    """The offset of the document's real ``</head>``, or ``None`` when it has none.

    The last ``</head>`` outside comments and the raw text of ``<script>``, ``<style>``,
    ``<title>``, ``<textarea>`` and ``<noscript>``. An unterminated comment or element hides
    everything after it, as in a browser.
    """
    found: int | None = None
    pos = 0
    while (match := _TOKEN.search(body, pos)) is not None:
        name = match.group(1)
        if name is not None:
            close = _CLOSE[name.lower()].search(body, match.end())
            if close is None:
                break
            pos = close.end()
        elif match.group().startswith(b"<!--"):
            end = body.find(b"-->", match.end())
            if end < 0:
                break
            pos = end + 3
        else:
            found = match.start()
            pos = match.end()
    return found


def insert_before_head_end(body: bytes, fragment: bytes) -> bytes | None:
    """``body`` with ``fragment`` before its real ``</head>``, or ``None`` if it has none."""
    at = head_end(body)
    if at is None:
        return None
    return body[:at] + fragment + body[at:]
