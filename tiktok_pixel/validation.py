"""Validate ``ttq`` calls and pages: TikTok Pixel Helper's warnings, before TikTok shows them.

Every rule is data in :data:`RULES` (id, severity, one-line explanation); the checks below refer
to rules by id. ``error`` rules are what TikTok rejects or cannot use (a value it cannot count, a
price it refuses); ``warning`` rules are what still works but costs data or will stop working.

Messages name the event, the field and (for codes like a currency) the offending token, never an
identify value: they are logged in debug mode and must hold no PII.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .calls import Call
from .currencies import SUPPORTED_CURRENCIES
from .hashing import HASHED_FIELDS, IDENTITY_FIELDS, is_sha256_hex
from .pagescan import Loader, PageScan, scan
from .pii_detect import key_kind, value_is_pii
from .pii_policy import pii_paths, redact_for_display
from .standard_events import RENAMED_EVENTS, SUNSET_EVENTS, similar_standard_event

Severity = Literal["error", "warning"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented TikTok rule: ``id`` (stable, for filtering), severity and why it matters."""

    id: str
    severity: Severity
    summary: str


#: Every rule, in the order findings are reported. Sources: TikTok's "About Parameters" and
#: "Supported standard events" help pages, the May 2025 event renames, Pixel Helper's messages
#: and the Events API errors collected in the project's fact sheet (sections 3, 6 and 8).
RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "currency-missing",
            "error",
            "value is sent without currency: TikTok cannot use the value for ROAS or value "
            "optimisation without an ISO 4217 currency",
        ),
        Rule(
            "currency-unsupported",
            "error",
            "currency is not one of the 61 uppercase ISO 4217 codes TikTok accepts",
        ),
        Rule(
            "value-missing",
            "error",
            "Purchase, CompletePayment and PlaceAnOrder need a value: Pixel Helper reports "
            "'value is missing or empty' and ROAS cannot be measured",
        ),
        Rule(
            "not-a-number",
            "error",
            "value, num_items and each item's price and quantity must be JSON numbers: TikTok "
            "rejects string or null prices ('Invalid Price Field')",
        ),
        Rule(
            "contents-invalid",
            "error",
            "contents must be a list of objects, one per product",
        ),
        Rule(
            "content-id-missing",
            "warning",
            "every contents item needs a content_id matching the catalog: Pixel Helper reports "
            "'content ID received with no value'",
        ),
        Rule(
            "content-type-invalid",
            "error",
            "content_type must be 'product' (ids are SKUs) or 'product_group' (ids are item "
            "groups)",
        ),
        Rule(
            "event-id-not-string",
            "error",
            "event_id must be a non-empty string: the Events API rejects other types (40002) and "
            "deduplication needs equal strings on both sides",
        ),
        Rule(
            "event-sunset",
            "warning",
            "ClickButton and PlaceAnOrder are soft-deprecated since 2025 and sunset in 2027",
        ),
        Rule(
            "event-renamed",
            "warning",
            "renamed on 1 May 2025 (CompletePayment is now Purchase, SubmitForm is now Lead); "
            "the old names still work but new setups should use the new ones",
        ),
        Rule(
            "event-name-similar",
            "warning",
            "a custom event name close to a standard one is probably a typo; event names are "
            "case-sensitive and a custom event is not optimised like the standard one",
        ),
        Rule(
            "identify-empty",
            "warning",
            "identify carries no usable matching field (email, phone_number, external_id, ...)",
        ),
        Rule(
            "identify-unhashed",
            "warning",
            "a matching field that should be a SHA-256 hex digest is in clear: raw PII on the page",
        ),
        Rule(
            "pixel-loaded-twice",
            "error",
            "the same pixel code is loaded by more than one loader: events.js is inserted twice "
            "and events may double up (use the existing-pixel mode, or remove one loader)",
        ),
        Rule(
            "loader-outside-head",
            "warning",
            "the pixel loader is not inside <head>: Pixel Helper warns that the pixel code is "
            "not installed in <head>",
        ),
        Rule(
            "fragment-unreadable",
            "error",
            "a tiktok-pixel fragment on the page is not valid: the runtime will not run it",
        ),
        Rule(
            "pixel-missing",
            "warning",
            "no TikTok pixel on the page: neither a tiktok-pixel fragment nor TikTok's base code",
        ),
        Rule(
            "pii-in-params",
            "error",
            "an event parameter holds personal data in clear (an email, a phone number, or a "
            "field named like one, at any depth or in a URL): TikTok forbids unhashed PII in "
            "event parameters; send it hashed through identify",
        ),
        # Page rules only a browser sees (``check --browser``).
        Rule(
            "sdk-requested-twice",
            "error",
            "the page requested TikTok's events.js more than once for the same pixel: each copy "
            "drains the queue, so events may be sent twice",
        ),
        Rule(
            "call-before-loader",
            "error",
            "a ttq call ran before any pixel loader: it threw because ttq was not defined yet, "
            "or it was queued on a ttq that no load() picked up, so TikTok never receives it",
        ),
        Rule(
            "pixel-loaded-under-two-names",
            "error",
            "the same pixel code is loaded by two base codes under different global names "
            "(window.TiktokAnalyticsObject): two copies of the pixel run and events double up",
        ),
        Rule(
            "csp-blocks-pixel",
            "error",
            "the page's Content-Security-Policy blocked the pixel's script (the loader or "
            "events.js): add the nonce, or allow analytics.tiktok.com in script-src",
        ),
    )
}

#: Events TikTok needs a value on (the purchase events, current and legacy names).
VALUE_REQUIRED_EVENTS: frozenset[str] = frozenset({"Purchase", "CompletePayment", "PlaceAnOrder"})
#: The two content_type values TikTok documents.
CONTENT_TYPES: frozenset[str] = frozenset({"product", "product_group"})

_TOKEN = re.compile(r"[A-Za-z0-9_ .-]{0,24}")


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired: the rule, a message about this occurrence and the call concerned."""

    rule: Rule
    message: str
    call: Call | None = None

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def __str__(self) -> str:
        return f"{self.severity} [{self.id}] {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: rule id, severity, message, the rule's explanation and the call."""
        data: dict[str, Any] = {
            "rule": self.id,
            "severity": self.severity,
            "message": self.message,
            "explanation": self.rule.summary,
        }
        if self.call is not None:
            data["call"] = self.call.to_dict()
            if self.call.method in ("track", "identify"):  # a checked page's values: no PII
                data["call"]["params"] = redact_for_display(self.call.params)
        return data


def _show(value: object) -> str:
    """A short, PII-free rendering of a code-like value (a currency, a content_type)."""
    if isinstance(value, str) and _TOKEN.fullmatch(value) and not value_is_pii(value):
        return repr(value)
    if value is None or isinstance(value, bool | int | float):
        return "null" if value is None else repr(value)
    return f"({_type_name(value)}, withheld)"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_member(value: object, allowed: frozenset[str]) -> bool:
    """``value in allowed`` for any JSON value (a list or an object is never a member)."""
    return isinstance(value, str) and value in allowed


def _finding(rule_id: str, call: Call | None, message: str) -> Finding:
    return Finding(RULES[rule_id], message, call)


def _check_track(call: Call) -> Iterator[Finding]:
    event = call.event if isinstance(call.event, str) else ""
    name = repr(event)
    params = call.params if isinstance(call.params, dict) else {}

    # value and currency
    if "value" in params and params["value"] is not None and "currency" not in params:
        yield _finding("currency-missing", call, f"{name}: value is set but currency is missing")
    if "currency" in params and not _is_member(params["currency"], SUPPORTED_CURRENCIES):
        yield _finding(
            "currency-unsupported",
            call,
            f"{name}: currency {_show(params['currency'])} is not a code TikTok accepts",
        )
    if event in VALUE_REQUIRED_EVENTS and params.get("value") is None:
        yield _finding("value-missing", call, f"{name} has no value")
    for key in ("value", "num_items"):
        if key in params and not _is_number(params[key]):
            yield _finding(
                "not-a-number", call, f"{name}: {key} is {_type_name(params[key])}, not a number"
            )

    # contents
    if "contents" in params:
        contents = params["contents"]
        if not isinstance(contents, list):
            yield _finding(
                "contents-invalid", call, f"{name}: contents is {_type_name(contents)}, not a list"
            )
            contents = []
        for index, item in enumerate(contents):
            where = f"contents[{index}]"
            if not isinstance(item, dict):
                yield _finding(
                    "contents-invalid",
                    call,
                    f"{name}: {where} is {_type_name(item)}, not an object",
                )
                continue
            content_id = item.get("content_id")
            if not isinstance(content_id, str | int) or not str(content_id).strip():
                yield _finding("content-id-missing", call, f"{name}: {where} has no content_id")
            for key in ("price", "quantity"):
                if key in item and not _is_number(item[key]):
                    yield _finding(
                        "not-a-number",
                        call,
                        f"{name}: {where}.{key} is {_type_name(item[key])}, not a number",
                    )
            if "content_type" in item and not _is_member(item["content_type"], CONTENT_TYPES):
                yield _finding(
                    "content-type-invalid",
                    call,
                    f"{name}: {where}.content_type is {_show(item['content_type'])}",
                )
    if "content_type" in params and not _is_member(params["content_type"], CONTENT_TYPES):
        yield _finding(
            "content-type-invalid",
            call,
            f"{name}: content_type is {_show(params['content_type'])}, "
            "not 'product' or 'product_group'",
        )

    # event_id
    event_id = call.event_id
    if event_id is not None and (not isinstance(event_id, str) or not event_id.strip()):
        yield _finding(
            "event-id-not-string",
            call,
            f"{name}: event_id is {_type_name(event_id)}, not a non-empty string",
        )

    # personal data
    for path in pii_paths(params):
        yield _finding(
            "pii-in-params", call, f"{name}: {path} holds personal data in clear (value withheld)"
        )

    # event names
    if event in SUNSET_EVENTS:
        yield _finding("event-sunset", call, f"{name} is sunset in 2027")
    elif event in RENAMED_EVENTS:
        yield _finding(
            "event-renamed", call, f"{name} is now {RENAMED_EVENTS[event]!r}; use the new name"
        )
    else:
        suggestion = similar_standard_event(event) if event else None
        if suggestion:
            yield _finding(
                "event-name-similar",
                call,
                f"{name} is not a standard event; did you mean {suggestion!r}?",
            )


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


#: Keys an identify call may carry: the current ones and the legacy ``sha256_*`` ones.
_LEGACY_HASHED = {"sha256_email": "email", "sha256_phone_number": "phone_number"}


def _check_identify(call: Call) -> Iterator[Finding]:
    params = call.params if isinstance(call.params, dict) else {}
    usable = [
        key
        for key, value in params.items()
        if (key in IDENTITY_FIELDS or key in _LEGACY_HASHED)
        and isinstance(value, str)
        and value.strip()
    ]
    if not usable:
        yield _finding(
            "identify-empty",
            call,
            "identify has no usable matching field"
            + (f" (keys: {', '.join(sorted(map(_shown_key, params)))})" if params else ""),
        )
        return
    for key in usable:
        hashed = key in _LEGACY_HASHED or key in HASHED_FIELDS
        if hashed and not is_sha256_hex(params[key].strip()):
            yield _finding(
                "identify-unhashed",
                call,
                f"identify: {key} is not a SHA-256 hex digest (value withheld)",
            )


def _shown_key(key: object) -> str:
    """A key as a message may show it: one that itself holds an email or phone is withheld."""
    return "(key withheld)" if key_kind(key) == "key" else str(key)


def validate_call(call: Call) -> list[Finding]:
    """The findings for one call (``track`` and ``identify``; other methods have no rules)."""
    if call.method == "track":
        return list(_check_track(call))
    if call.method == "identify":
        return list(_check_identify(call))
    return []


def validate_calls(calls: Iterable[Call]) -> list[Finding]:
    """The findings for a page's calls, in call order.

    A call the page applies to several pixels is checked once (the first copy is reported), so a
    two-pixel page does not report each problem twice. This is what debug mode logs on render and
    what the demo's inspector shows.
    """
    seen: set[tuple[Any, ...]] = set()
    findings: list[Finding] = []
    for call in calls:
        key = call.key()
        if key in seen:
            continue
        seen.add(key)
        findings.extend(validate_call(call))
    return findings


def _load_count(loaders: list[Loader]) -> int:
    """How many times a code is loaded, from its loaders on one page.

    Our runtime loads a code once per page however often the fragment is rendered; each TikTok
    base code ``load()`` loads it again (it has no guard). Each of those dynamic loads inserts one
    ``events.js?sdkid=`` tag, so a DOM snapshot (Playwright's ``page.content()``) holds one tag
    per dynamic load: only tags beyond that count as further loads. (In served HTML, one static
    tag beside one dynamic loader is therefore not reported; two are.)
    """
    dynamic = sum(1 for loader in loaders if loader.kind == "base-code") + any(
        loader.kind == "fragment" for loader in loaders
    )
    tags = sum(1 for loader in loaders if loader.kind == "sdk-tag")
    return dynamic + max(0, tags - dynamic)


def _page_findings(page: PageScan, problems: list[str]) -> Iterator[Finding]:
    for problem in problems:
        yield _finding("fragment-unreadable", None, problem)
    if not page.loaders and not page.fragments and not problems:
        yield _finding("pixel-missing", None, "no TikTok pixel found on the page")
    by_code: dict[str, list[Loader]] = {}
    for loader in page.loaders:
        by_code.setdefault(loader.code, []).append(loader)
    for code, loaders in by_code.items():
        if _load_count(loaders) > 1:
            where = ", ".join(f"{loader.kind} (line {loader.line})" for loader in loaders)
            yield _finding("pixel-loaded-twice", None, f"pixel {code} is loaded by: {where}")
    reported: set[tuple[int, int]] = set()
    for loader in page.loaders:
        if not loader.in_head and loader.position not in reported:
            reported.add(loader.position)
            yield _finding(
                "loader-outside-head",
                None,
                f"the {loader.kind} loading pixel {loader.code} at line {loader.line} is in "
                "<body>, not <head>",
            )


@dataclass(frozen=True)
class PageCheck:
    """A page read and checked: the calls it makes and the findings, page rules first."""

    calls: tuple[Call, ...]
    findings: tuple[Finding, ...]


def check_page(html: str) -> PageCheck:
    """Read ``html`` once: its calls (as ``testing.calls_in`` lists them) and its findings."""
    page, problems = scan(html)
    findings = [*_page_findings(page, problems), *validate_calls(page.calls)]
    return PageCheck(page.calls, tuple(findings))


def check_scanned(page: PageScan, problems: list[str], calls: Iterable[Call]) -> PageCheck:
    """The findings for a page already scanned, given every call it makes.

    ``check`` passes the calls of TikTok's base code and hand-written scripts too
    (:func:`tiktok_pixel.foreign_calls.page_calls`), not only those of our fragments.
    """
    calls = tuple(calls)
    return PageCheck(calls, (*_page_findings(page, problems), *validate_calls(calls)))


@dataclass(frozen=True)
class BrowserPage:
    """What a browser saw a page do, beyond its calls (see :mod:`tiktok_pixel.browser_check`)."""

    #: ``(pixel code, global name)`` for each ``load()`` call, in order.
    loads: tuple[tuple[str, str], ...] = ()
    #: ``(sdkid, lib)`` for each request of events.js.
    sdk_requests: tuple[tuple[str, str], ...] = ()
    #: One line for each call that ran before any loader.
    early_calls: tuple[str, ...] = ()
    #: One line for each CSP violation that blocked the pixel.
    csp_blocks: tuple[str, ...] = ()


def _browser_findings(seen: BrowserPage) -> Iterator[Finding]:
    names: dict[str, list[str]] = {}
    for code, name in seen.loads:
        if name not in names.setdefault(code, []):
            names[code].append(name)
    aliased = {code for code, found in names.items() if len(found) > 1}
    for code in aliased:
        yield _finding(
            "pixel-loaded-under-two-names",
            None,
            f"pixel {code} is loaded as {' and '.join(map(repr, names[code]))}",
        )
    requests: dict[str, int] = {}
    for sdkid, _ in seen.sdk_requests:
        requests[sdkid] = requests.get(sdkid, 0) + 1
    for sdkid, count in requests.items():
        if count > 1 and sdkid not in aliased:
            yield _finding(
                "sdk-requested-twice", None, f"events.js was requested {count} times for {sdkid}"
            )
    for line in seen.early_calls:
        yield _finding("call-before-loader", None, line)
    for line in seen.csp_blocks:
        yield _finding("csp-blocks-pixel", None, line)


def check_browser_page(
    page: PageScan, problems: list[str], calls: Iterable[Call], seen: BrowserPage
) -> PageCheck:
    """The findings for a page run in a browser: ``calls`` are those ``ttq`` received.

    The served HTML (``page``) still decides whether a fragment is readable and whether a
    loader is in ``<head>``; loads are judged from what ran (``seen``), not from the markup.
    """
    calls = tuple(calls)
    static = [
        finding
        for finding in _page_findings(page, problems)
        if finding.id in ("fragment-unreadable", "loader-outside-head")
    ]
    if not seen.loads and not seen.sdk_requests and not problems:
        static.insert(0, _finding("pixel-missing", None, "no TikTok pixel ran on the page"))
    return PageCheck(calls, (*static, *_browser_findings(seen), *validate_calls(calls)))


def validate_page(html: str) -> list[Finding]:
    """The findings for a whole page: its loaders (twice, outside ``<head>``) and its calls."""
    return list(check_page(html).findings)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """The error-level findings only."""
    return [finding for finding in findings if finding.severity == "error"]


def log_findings(findings: Iterable[Finding], log: logging.Logger = logger) -> int:
    """Log each finding as one warning (debug mode); returns how many were logged."""
    count = 0
    for finding in findings:
        log.warning("TikTok pixel check: %s", finding)
        count += 1
    return count
