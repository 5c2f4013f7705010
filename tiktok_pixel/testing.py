"""Test helpers for sites using tiktok-pixel: read a page's ``ttq`` calls back, assert on them.

>>> from tiktok_pixel.testing import assert_tracked, assert_identified
>>> response = client.post("/cart", data={"sku": "mug"})          # Flask or Django test client
>>> assert_tracked(response, "AddToCart", value=19.99, currency="EUR",
...                contents=[{"content_id": "mug"}])
>>> assert_identified(response, email="ann@example.com")           # hashed here, as on the page

Everything works on the HTML alone, with the standard library (no browser, no html5lib, no web
framework import): a page is a ``str``/``bytes``, or any response object with ``get_data()``
(Flask/Werkzeug), ``content`` (Django, or Playwright's ``page.content()``) or ``text``
(requests, httpx). Matching is partial: only the parameters you name are compared, recursively
(a ``contents`` item matches when the keys you give match), numbers compare as numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from .calls import Call
from .hashing import IDENTITY_FIELDS, InvalidIdentity, hash_field
from .pagescan import PayloadError, scan
from .validation import Finding, validate_page

__all__ = [
    "PageCalls",
    "PayloadError",
    "PixelCalls",
    "assert_identified",
    "assert_not_tracked",
    "assert_tracked",
    "assert_valid",
    "calls_in",
    "format_call",
    "page_html",
]

_ABSENT = object()
_HEX = frozenset("0123456789abcdef")


class PageCalls(list[Call]):
    """The calls a page makes, in the order the runtime makes them (a ``list`` of :class:`Call`).

    Includes ``holdConsent``, ``load`` (``params`` = load options, ``pixel_code`` = the code) and
    ``page`` besides ``identify`` and ``track``. On a page with several pixels, every call is
    listed once per pixel with ``pixel_code`` set, as the runtime applies it via
    ``ttq.instance(code)``.
    """

    @property
    def tracks(self) -> list[Call]:
        """The ``track`` calls."""
        return [call for call in self if call.method == "track"]

    @property
    def identifies(self) -> list[Call]:
        """The ``identify`` calls."""
        return [call for call in self if call.method == "identify"]

    @property
    def events(self) -> list[str]:
        """The tracked event names, in order (once per pixel on a several-pixel page)."""
        return [str(call.event) for call in self.tracks]

    @property
    def pixels(self) -> list[str]:
        """The pixel codes the page loads, in load order."""
        return [str(call.pixel_code) for call in self if call.method == "load"]


def page_html(source: object) -> str:
    """The HTML text of ``source``: a string, bytes, or a test-client response (duck typed)."""
    if isinstance(source, str):
        return str(source)
    if isinstance(source, bytes | bytearray):
        return bytes(source).decode("utf-8", errors="replace")
    get_data = getattr(source, "get_data", None)
    if callable(get_data):  # Flask / Werkzeug response
        return str(get_data(as_text=True))
    content = getattr(source, "content", None)
    if callable(content):  # Playwright Page: the live DOM serialised
        content = content()
    if isinstance(content, bytes | bytearray):  # Django HttpResponse
        charset = getattr(source, "charset", None) or "utf-8"
        return bytes(content).decode(charset, errors="replace")
    if isinstance(content, str):
        return content
    text = getattr(source, "text", None)
    if isinstance(text, str):  # requests / httpx
        return text
    raise TypeError(
        "expected HTML as str or bytes, or a response with get_data() (Flask), .content "
        f"(Django) or .text (requests, httpx); got {type(source).__name__}"
    )


def calls_in(source: object) -> PageCalls:
    """The ``ttq`` calls the page in ``source`` makes, read from the HTML without a browser.

    Reads every fragment tiktok-pixel renders (inline or no-inline, one or several pixels,
    existing-pixel mode, consent hold, rendered more than once) and replays it like the runtime.
    Raises :class:`PayloadError` if a fragment on the page is damaged. Calls already read (a
    :class:`PageCalls`, or any list or tuple of :class:`Call`) are returned as they are, so every
    assertion below accepts them in place of a page.
    """
    __tracebackhide__ = True
    if isinstance(source, PageCalls):
        return source
    if isinstance(source, list | tuple) and all(isinstance(call, Call) for call in source):
        return PageCalls(source)
    page, problems = scan(page_html(source))
    if problems:
        raise PayloadError("; ".join(problems))
    return PageCalls(page.calls)


# ---------------------------------------------------------------------------------------------
# Describing calls


def _short(value: object, limit: int = 240) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_call(call: Call) -> str:
    """One line describing ``call`` (digests shortened), for failure messages and the CLI."""
    target = f" @{call.pixel_code}" if call.pixel_code and call.method != "load" else ""
    if call.method == "track":
        text = f"track {call.event!r} {_short(call.params)}"
        if call.event_id is not None:
            text += f" event_id={call.event_id!r}"
        return text + target
    if call.method == "identify":
        fields = ", ".join(
            f"{key}={_short(value if not _is_digest(value) else value[:8] + '…')}"
            for key, value in call.params.items()
        )
        return f"identify {fields or '(nothing)'}{target}"
    if call.method == "load":
        return f"load {call.pixel_code} {_short(call.params)}"
    return f"{call.method}{' ' + repr(call.event) if call.event is not None else ''}{target}"


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _listing(calls: Iterable[Call]) -> str:
    lines = [f"  {index}. {format_call(call)}" for index, call in enumerate(calls, 1)]
    return "calls on the page:\n" + ("\n".join(lines) if lines else "  (none)")


# ---------------------------------------------------------------------------------------------
# Partial matching


def _differences(expected: object, actual: object, path: str) -> list[str]:
    """Where ``actual`` does not match ``expected`` (partially, recursively); empty if it does."""
    if expected is None:
        return (
            []
            if actual is None or actual is _ABSENT
            else [f"{path}: expected absent, got {_short(actual)}"]
        )
    if actual is _ABSENT:
        return [f"{path}: missing (expected {_short(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_short(actual)}"]
        found: list[str] = []
        for key, value in expected.items():
            found += _differences(value, actual.get(key, _ABSENT), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {_short(actual)}"]
        if len(expected) != len(actual):
            return [
                f"{path}: expected {len(expected)} item(s), got {len(actual)}: {_short(actual)}"
            ]
        found = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found += _differences(want, got, f"{path}[{index}]")
        return found
    if _is_number(expected) and _is_number(actual):
        if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12):  # type: ignore[arg-type]
            return []
    elif (type(expected) is type(actual) or isinstance(expected, str)) and expected == actual:
        return []
    return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _track_differences(
    call: Call, params: dict[str, Any], event_id: object, pixel_code: str | None
) -> list[str]:
    found = _differences(params, call.params, "")
    if event_id is not _ABSENT and call.event_id != event_id:
        found.append(f"event_id: expected {event_id!r}, got {call.event_id!r}")
    if pixel_code is not None and call.pixel_code != pixel_code:
        found.append(f"pixel_code: expected {pixel_code!r}, got {call.pixel_code!r}")
    return found


def _describe_expectation(event: str, params: dict[str, Any]) -> str:
    if not params:
        return repr(event)
    return f"{event!r} with " + ", ".join(f"{key}={_short(value)}" for key, value in params.items())


# ---------------------------------------------------------------------------------------------
# Assertions


def _redirect_note(source: object) -> str:
    """For a 3xx response: why its page holds no calls, and how to follow it; else ``""``."""
    status = getattr(source, "status_code", None)
    if not isinstance(status, int) or not 300 <= status < 400:
        return ""
    headers: Any = getattr(source, "headers", None)
    location = headers.get("Location") if hasattr(headers, "get") else None
    target = f" to {location!r}" if isinstance(location, str) else ""
    return (
        f"the response is a redirect ({status}{target}): a view that tracks and redirects "
        "renders its calls on the next page. Follow the redirect: "
        "client.post(..., follow_redirects=True) in Flask's test client, "
        "client.post(..., follow=True) in Django's.\n"
    )


def assert_tracked(
    source: object,
    event: str,
    *,
    event_id: object = _ABSENT,
    pixel_code: str | None = None,
    **params: Any,
) -> Call:
    """Assert the page tracks ``event`` with (at least) ``params``; return the matching call.

    Only the parameters given are compared: ``contents=[{"content_id": "sku-1"}]`` matches a
    one-item ``contents`` whose item has that id, whatever else it holds. A parameter given as
    ``None`` must be absent. ``event_id`` and ``pixel_code`` restrict the match further. On
    failure the ``AssertionError`` lists the page's calls and, for the closest call of that event,
    each field that differs; on a redirect response it says so, and how to follow it.
    """
    __tracebackhide__ = True
    calls = calls_in(source)
    candidates = [call for call in calls.tracks if call.event == event]
    diffs: list[tuple[Call, list[str]]] = []
    for call in candidates:
        found = _track_differences(call, params, event_id, pixel_code)
        if not found:
            return call
        diffs.append((call, found))
    expectation = _describe_expectation(event, params)
    if not diffs:
        names = sorted(set(calls.events))
        message = f"{event!r} was not tracked (tracked: {', '.join(map(repr, names)) or 'nothing'})"
        close = [name for name in names if name.lower() == event.lower()]
        if close:
            message += f"; event names are case-sensitive: did you mean {close[0]!r}?"
    else:
        call, found = min(diffs, key=lambda item: len(item[1]))
        message = (
            f"{expectation} was not tracked; {len(candidates)} {event!r} call(s) differ.\n"
            f"closest: {format_call(call)}\n" + "\n".join(f"  - {line}" for line in found)
        )
    raise AssertionError(f"{_redirect_note(source)}{message}\n{_listing(calls)}")


def assert_not_tracked(source: object, event: str, **params: Any) -> None:
    """Assert no call tracks ``event`` (with ``params``, partially matched, if any are given)."""
    __tracebackhide__ = True
    calls = calls_in(source)
    matching = [
        call
        for call in calls.tracks
        if call.event == event and not _differences(params, call.params, "")
    ]
    if matching:
        raise AssertionError(
            f"{_describe_expectation(event, params)} was tracked {len(matching)} time(s), "
            f"expected never: {format_call(matching[0])}\n{_listing(calls)}"
        )


def assert_identified(
    source: object, *, default_phone_region: str | None = None, **fields: Any
) -> Call:
    """Assert an identify call carries ``fields``, given in clear and hashed here like the product.

    ``assert_identified(response, email="Ann@Example.com ")`` normalises and SHA-256 hashes the
    expected email exactly as ``PageEvents.identify`` does, so tests never hold digests.
    ``default_phone_region`` reads expected phone numbers written without ``+``. With no fields,
    asserts there is an identify call at all.
    """
    __tracebackhide__ = True
    expected: dict[str, str] = {}
    for name, value in fields.items():
        if name not in IDENTITY_FIELDS:
            raise TypeError(
                f"assert_identified() got an unexpected field {name!r}; "
                f"identify fields are {', '.join(IDENTITY_FIELDS)}"
            )
        try:
            expected[name] = hash_field(name, value, default_phone_region=default_phone_region)
        except InvalidIdentity as exc:
            raise ValueError(
                f"assert_identified(): the expected {name} cannot be identified ({exc}); "
                "the product would drop it too"
            ) from None
    calls = calls_in(source)
    diffs: list[tuple[Call, list[str]]] = []
    for call in calls.identifies:
        found = [
            f"{name}: missing"
            if name not in call.params
            else f"{name}: expected {_abbrev(value)} (hashed), got {_abbrev(call.params[name])}"
            for name, value in expected.items()
            if call.params.get(name) != value
        ]
        if not found:
            return call
        diffs.append((call, found))
    if not diffs:
        message = "no identify call on the page"
    else:
        call, found = min(diffs, key=lambda item: len(item[1]))
        message = (
            f"not identified with {', '.join(expected)}; closest: {format_call(call)}\n"
            + "\n".join(f"  - {line}" for line in found)
        )
    raise AssertionError(f"{_redirect_note(source)}{message}\n{_listing(calls)}")


def _abbrev(value: object) -> str:
    return repr(value[:12] + "…") if _is_digest(value) else repr(value)  # type: ignore[index]


def assert_valid(source: object, *, warnings: bool = False) -> list[Finding]:
    """Assert the page breaks no error-level validation rule (no rule at all with ``warnings``).

    Returns the findings that did not fail the assertion (the warnings, by default).
    """
    __tracebackhide__ = True
    findings = validate_page(page_html(source))
    failing = [f for f in findings if warnings or f.severity == "error"]
    if failing:
        lines = "\n".join(f"  - {finding}" for finding in failing)
        raise AssertionError(f"the page breaks {len(failing)} TikTok pixel rule(s):\n{lines}")
    return findings


class PixelCalls:
    """What the ``tiktok_pixel_calls`` pytest fixture gives: read and check pages in one object.

    ``tiktok_pixel_calls(response)`` returns the page's :class:`PageCalls` (and remembers it in
    ``pages``); the assertion helpers are available as methods too.
    """

    def __init__(self) -> None:
        self.pages: list[PageCalls] = []

    def __call__(self, source: object) -> PageCalls:
        calls = calls_in(source)
        self.pages.append(calls)
        return calls

    @property
    def last(self) -> PageCalls:
        """The calls of the page read last."""
        if not self.pages:
            raise LookupError("no page has been read yet: call tiktok_pixel_calls(response)")
        return self.pages[-1]

    assert_tracked = staticmethod(assert_tracked)
    assert_not_tracked = staticmethod(assert_not_tracked)
    assert_identified = staticmethod(assert_identified)
    assert_valid = staticmethod(assert_valid)

    @staticmethod
    def validate(source: object) -> list[Finding]:
        """The validation findings for the page in ``source``."""
        return validate_page(page_html(source))
