"""``python -m tiktok_pixel check FILE|URL…``: list each page's ``ttq`` calls and rule violations.

Meant for a site's CI after a static build, or against a running server. Exit codes: 0 when no
error-level rule fires, 1 when one does, 2 when an input cannot be read (nothing is checked then).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..calls import Call
from ..pii_policy import redact_for_display
from ..testing import format_call
from ..validation import Finding, check_page
from . import CommandError

#: Pages larger than this are refused rather than read into memory.
MAX_BYTES = 20 * 1024 * 1024


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "check",
        help="list the TikTok pixel calls of HTML pages and the rules they break",
        description=(
            "Read HTML files or fetch http(s) URLs, list the ttq calls each page makes and the "
            "TikTok rules it breaks. Exit 1 if an error-level rule fires, 0 otherwise, 2 if an "
            "input cannot be read."
        ),
    )
    parser.add_argument(
        "sources", nargs="+", metavar="FILE|URL", help="an HTML file, '-' for stdin, or a URL"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="timeout for fetching each URL (10)",
    )
    parser.set_defaults(handler=run)


@dataclass
class PageReport:
    source: str
    calls: list[Call]
    findings: list[Finding]

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "calls": [_shown(call).to_dict() for call in self.calls],
            "findings": [finding.to_dict() for finding in self.findings],
            "errors": self.count("error"),
            "warnings": self.count("warning"),
        }


def _shown(call: Call) -> Call:
    """``call`` as the report shows it: personal data in its params replaced by [redacted]."""
    if call.method not in ("track", "identify"):
        return call
    return replace(call, params=redact_for_display(call.params))


def _decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name in a Content-Type header
        return data.decode("utf-8", errors="replace")


def fetch(url: str, timeout: float) -> str:
    """The body of ``url`` as text; :class:`CommandError` (one line) if it cannot be fetched."""
    request = urllib.request.Request(
        url, headers={"User-Agent": f"tiktok-pixel-check/{__version__}", "Accept": "text/html"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
            charset = response.headers.get_content_charset()
    except urllib.error.HTTPError as exc:
        raise CommandError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise CommandError(f"{url}: no answer within {timeout:g} s") from None
        raise CommandError(f"{url}: cannot fetch: {exc.reason}") from None
    except TimeoutError:
        raise CommandError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise CommandError(f"{url}: cannot fetch: {exc}") from None
    if len(data) > MAX_BYTES:
        raise CommandError(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    return _decode(data, charset)


def read_source(source: str, timeout: float) -> str:
    """The HTML of a file, ``-`` (stdin) or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        return fetch(source, timeout)
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CommandError(f"{source}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise CommandError(f"{source}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    return _decode(data, None)


def check_html(source: str, html: str) -> PageReport:
    """The calls and findings of one page."""
    checked = check_page(html)
    return PageReport(source, list(checked.calls), list(checked.findings))


def _text(report: PageReport) -> str:
    errors, warnings = report.count("error"), report.count("warning")
    lines = [
        f"{report.source}: {len(report.calls)} call(s), {errors} error(s), {warnings} warning(s)"
    ]
    lines += [f"  {format_call(_shown(call))}" for call in report.calls]
    for finding in report.findings:
        lines.append(f"  {finding.severity.upper()} [{finding.id}] {finding.message}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise CommandError(f"--timeout must be a positive number of seconds, not {args.timeout:g}")
    pages = [(source, read_source(source, args.timeout)) for source in args.sources]
    reports = [check_html(source, html) for source, html in pages]
    if args.format == "json":
        json.dump(
            {
                "pages": [report.to_dict() for report in reports],
                "errors": sum(report.count("error") for report in reports),
                "warnings": sum(report.count("warning") for report in reports),
            },
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
    else:
        print("\n\n".join(_text(report) for report in reports))
    return 1 if any(report.count("error") for report in reports) else 0
