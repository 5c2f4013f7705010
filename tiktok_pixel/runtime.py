"""The JavaScript that runs on the page: our own TikTok base code plus the call replay.

The source is the Jinja template ``templates/tiktok_pixel/runtime.js.jinja``, rendered and
compacted once per process for each mode: the base-code path alone, the use-existing-pixel path
alone (inline mode sends only the path its configuration needs) or both (the static script).
Inline mode embeds it in a nonce-bearing ``<script>``; no-inline mode serves the same program from
``static/tiktok_pixel.js``, which reads ``<script type="application/json">`` data blocks.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

import jinja2

from .resources import static_path, template_path

STATIC_SCRIPT_NAME = "tiktok_pixel.js"

#: Selector the static script uses to find the page's data blocks.
DATA_BLOCK_ATTRIBUTE = "data-tiktok-pixel"

_STATIC_TEMPLATE = """\
/* tiktok-pixel no-inline runtime: generated from templates/tiktok_pixel/runtime.js.jinja by
   `make static`; do not edit. Reads each <script type="application/json" data-tiktok-pixel>
   block once and drives window.ttq with it, so the page needs no inline JavaScript. */
(function (w, d) {
var run = %(program)s;
var scan = function () {
var s = d.querySelectorAll('script[type="application/json"][%(attribute)s]'), i;
for (i = 0; i < s.length; i++) {
if (!s[i].ttpDone) {
s[i].ttpDone = 1;
try {
run(w, d, JSON.parse(s[i].textContent));
} catch (e) {}
}
}
};
scan();
if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", scan);
})(window, document);
"""


_TOKENS = re.compile(
    r"""(?P<skip>\s+|//[^\n]*|/\*.*?\*/)"""
    r"""|(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
    r"""|(?P<word>[A-Za-z0-9_$]+)"""
    r"""|(?P<punct>.)""",
    re.S,
)


def compact(source: str) -> str:
    """Strip comments and whitespace from our own runtime source.

    A deliberately small minifier: it knows strings, comments, words and punctuation, and keeps
    one space only between two words (``var t``, ``new Date``) and drops a ``;`` just before
    ``}``. It relies on the source ending every statement with ``;``, having no empty statements
    and no regular-expression literals; the browser tests run the result.
    """
    out: list[str] = []
    last = ""
    for match in _TOKENS.finditer(source):
        kind, token = match.lastgroup, match.group()
        if kind == "skip":
            continue
        if kind == "word" and last and (last[-1].isalnum() or last[-1] in "_$"):
            out.append(" ")
        if token == "}" and last == ";":
            out.pop()  # "a;}" is "a}": the source has no empty statements
        out.append(token)
        last = token
    return "".join(out)


@cache
def program(
    *,
    loader: bool = True,
    existing: bool = False,
    several: bool = True,
    hold: bool = True,
    page: bool | str = "payload",
    options: bool = True,
    sdk_literal: str | None = None,
) -> str:
    """The runtime as one compact function expression ``function(w,d,c){…}``.

    ``loader`` keeps the base-code path, ``existing`` the use-existing-pixel path; with both, the
    payload's ``existing`` flag picks one at run time. ``several`` keeps the routing of each call
    to every pixel through ``ttq.instance(code)``, ``hold`` the ``holdConsent()`` call, ``page`` the
    automatic ``page()`` (``"payload"``: as the payload says), ``options`` passing load
    options, and ``sdk_literal`` (a JS string literal) fixes the SDK URL: inline
    mode leaves out what its configuration cannot need (a smaller page), the static script keeps
    everything and reads the payload.
    """
    if not (loader or existing):
        raise ValueError("the runtime needs the loader path, the existing-pixel path or both")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_path("")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    source = env.get_template("runtime.js.jinja").render(
        loader=loader,
        existing=existing,
        several=several,
        hold=hold,
        page=page,
        options=options,
        sdk_literal=sdk_literal,
    )
    return compact(source)


def static_script() -> str:
    """The text ``static/tiktok_pixel.js`` must have for the current runtime source."""
    return _STATIC_TEMPLATE % {
        "program": program(loader=True, existing=True),
        "attribute": DATA_BLOCK_ATTRIBUTE,
    }


@cache
def served_static_script() -> tuple[bytes, str]:
    """``static/tiktok_pixel.js`` as served, and the digest versioned URLs carry (16 hex digits
    of its SHA-256), so the integrations can cache it for a year and change the URL on release."""
    body = static_path(STATIC_SCRIPT_NAME).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def write_static_script() -> None:
    """Regenerate ``static/tiktok_pixel.js`` (``make static``)."""
    static_path(STATIC_SCRIPT_NAME).write_text(static_script(), encoding="utf-8")
