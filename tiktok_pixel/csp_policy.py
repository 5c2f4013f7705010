"""Whether a page's Content-Security-Policy lets an inline script run (for static ``check``).

A static reading cannot claim the calls of an inline script the browser would refuse to run.
This follows CSP Level 3 far enough for that: every policy must allow the script; a policy's
``script-src-elem``, else ``script-src``, else ``default-src`` decides; ``'unsafe-inline'``
counts only when the directive has no nonce or hash; a matching ``'nonce-…'`` allows. A hash
source is not computed: such a script is treated as blocked (the calls are then reported as
unread, and ``--browser`` gives the real answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def meta_policies(html: str) -> list[str]:
    """The policies of ``<meta http-equiv="Content-Security-Policy" content="…">`` tags."""
    policies = []
    for tag in _META.findall(html):
        attrs = {
            name.lower(): unescape(first or second or third)
            for name, first, second, third in _ATTR.findall(tag)
        }
        if attrs.get("http-equiv", "").strip().lower() == "content-security-policy":
            policies.append(attrs.get("content", ""))
    return [policy for policy in policies if policy.strip()]


def _sources(policy: str) -> list[str] | None:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words and words[0].lower() not in directives:
            directives[words[0].lower()] = words[1:]
    for name in ("script-src-elem", "script-src", "default-src"):
        if name in directives:
            return directives[name]
    return None


def inline_allowed(policies: Iterable[str], nonce: str | None) -> bool:
    """True when every policy lets an inline ``<script>`` with ``nonce`` run."""
    for policy in policies:
        sources = _sources(policy)
        if sources is None:
            continue
        lowered = [source.lower() for source in sources]
        if nonce and f"'nonce-{nonce}'" in sources:
            continue
        keyed = any(source.startswith(("'nonce-", "'sha")) for source in lowered)
        if "'unsafe-inline'" in lowered and not keyed:
            continue
        return False
    return True
