"""Print ``check`` results: plain text, JSON, or JUnit XML (one test case per page).

JSON keeps the shape ``check`` has always printed (``pages`` of ``source``, ``calls``,
``findings``, ``errors``, ``warnings``; totals beside them). JUnit XML lets a CI system show each
page as a test: an error-level finding fails it, warnings and calls go to its ``system-out``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .page_report import PageReport, shown
from .testing import format_call

FORMATS = ("text", "json", "junit")

#: Characters XML 1.0 cannot hold (a page's event names are not to be trusted).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def page_text(report: PageReport) -> str:
    errors, warnings = report.count("error"), report.count("warning")
    lines = [
        f"{report.source}: {len(report.calls)} call(s), {errors} error(s), {warnings} warning(s)"
    ]
    lines += [f"  {format_call(shown(call))}" for call in report.calls]
    for finding in report.findings:
        lines.append(f"  {finding.severity.upper()} [{finding.id}] {finding.message}")
    for item in report.unread:
        lines.append(f"  NOT READ (use --browser) {item}")
    if report.blocked_hosts:
        lines.append(f"  blocked requests to: {', '.join(report.blocked_hosts)}")
    return "\n".join(lines)


def summary(reports: Sequence[PageReport]) -> dict[str, Any]:
    """Totals over pages: pages, calls per event (``track`` by event name), findings per rule."""
    events: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for report in reports:
        for call in report.calls:
            name = call.event if call.method == "track" and isinstance(call.event, str) else None
            events[name if name is not None else call.method] += 1
        rules.update(finding.id for finding in report.findings)
    return {
        "pages": len(reports),
        "calls": dict(sorted(events.items())),
        "findings": dict(sorted(rules.items())),
    }


def summary_text(reports: Sequence[PageReport]) -> str:
    """The summary as a small table."""
    totals = summary(reports)
    rows: list[tuple[str, str]] = [("pages", str(totals["pages"]))]
    rows += [(f"calls: {name}", str(count)) for name, count in totals["calls"].items()]
    rows += [(f"findings: {rule}", str(count)) for rule, count in totals["findings"].items()]
    width = max(len(label) for label, _ in rows)
    lines = ["Summary", "-" * (width + 8)]
    lines += [f"{label.ljust(width)}  {count.rjust(5)}" for label, count in rows]
    return "\n".join(lines)


def as_text(reports: Sequence[PageReport], *, with_summary: bool = False) -> str:
    text = "\n\n".join(page_text(report) for report in reports)
    return text + ("\n\n" + summary_text(reports) if with_summary else "")


def as_json(reports: Sequence[PageReport], *, with_summary: bool = False) -> str:
    data: dict[str, Any] = {
        "pages": [report.to_dict() for report in reports],
        "errors": sum(report.count("error") for report in reports),
        "warnings": sum(report.count("warning") for report in reports),
    }
    if with_summary:
        data["summary"] = summary(reports)
    return json.dumps(data, indent=2, ensure_ascii=False)


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def as_junit(reports: Sequence[PageReport], *, with_summary: bool = False) -> str:
    """JUnit XML: a ``testsuite`` named ``tiktok-pixel check`` with one ``testcase`` per page."""
    failures = sum(1 for report in reports if report.count("error"))
    counts = {"tests": str(len(reports)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "tiktok-pixel check", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "tiktok-pixel check", **counts})
    for report in reports:
        case = ET.SubElement(
            suite, "testcase", {"classname": "tiktok-pixel.check", "name": _xml(report.source)}
        )
        errors = [finding for finding in report.findings if finding.severity == "error"]
        if errors:
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "type": errors[0].id,
                    "message": _xml(f"{len(errors)} error(s): {errors[0].message}"),
                },
            )
            failure.text = _xml("\n".join(str(finding) for finding in errors))
        ET.SubElement(case, "system-out").text = _xml(page_text(report))
    if with_summary:
        ET.SubElement(suite, "system-out").text = _xml(summary_text(reports))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def render(reports: Sequence[PageReport], format: str, *, with_summary: bool = False) -> str:
    """``reports`` in ``format`` (one of :data:`FORMATS`)."""
    if format == "json":
        return as_json(reports, with_summary=with_summary)
    if format == "junit":
        return as_junit(reports, with_summary=with_summary)
    return as_text(reports, with_summary=with_summary)
