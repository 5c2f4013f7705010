"""One checked page: the ``ttq`` calls it makes, the rules they break, what could not be read.

``check`` builds one :class:`PageReport` per page, statically (:func:`check_static`) or in a
browser (:mod:`tiktok_pixel.browser_check`); :mod:`tiktok_pixel.report_formats` prints them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .calls import Call
from .csp_policy import meta_policies
from .foreign_calls import Unread, page_calls
from .pagescan import scan
from .pii_policy import redact_for_display
from .validation import Finding, check_scanned


@dataclass
class PageReport:
    """The result for one page (``source`` as given, or the URL a crawl reached)."""

    source: str
    calls: list[Call]
    findings: list[Finding]
    #: Calls seen in scripts but not read statically ("use --browser").
    unread: list[Unread] = field(default_factory=list)
    #: Browser mode: hosts whose requests were blocked (not TikTok's SDK, not --allow-host).
    blocked_hosts: list[str] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "calls": [shown(call).to_dict() for call in self.calls],
            "findings": [finding.to_dict() for finding in self.findings],
            "errors": self.count("error"),
            "warnings": self.count("warning"),
            "unread": [item.to_dict() for item in self.unread],
        }
        if self.blocked_hosts:
            data["blocked_hosts"] = list(self.blocked_hosts)
        return data


def shown(call: Call) -> Call:
    """``call`` as reports show it: personal data in its params replaced by ``[redacted]``."""
    if call.method not in ("track", "identify"):
        return call
    return replace(call, params=redact_for_display(call.params))


def check_static(source: str, html: str, policies: Sequence[str] = ()) -> PageReport:
    """Read ``html`` without running it: our fragments, TikTok's base code, literal calls.

    ``policies``: the page's Content-Security-Policy headers (its ``<meta>`` ones are read here).
    """
    page, problems = scan(html)
    calls, unread = page_calls(page, [*meta_policies(html), *policies])
    checked = check_scanned(page, problems, calls)
    return PageReport(source, list(checked.calls), list(checked.findings), unread)
