"""``check --browser``: run a page in headless Chromium and record every ``ttq`` call it makes.

Playwright (the optional extra ``tiktok-pixel[browser]``) drives a Chromium that is already on
the machine (Debian's ``chromium``, ``--chromium PATH`` or ``TIKTOK_PIXEL_CHROMIUM``); no browser
is ever downloaded. Before the page's own scripts run, an init script (:data:`RECORDER`) watches
the global ``ttq`` (and any name set in ``window.TiktokAnalyticsObject``) and wraps each method
installed on it, whoever installs it (TikTok's base code, our runtime, a tag manager), so each
call is recorded at the method level with its pixel code (``ttq.instance(code)``).

Nothing reaches TikTok: requests for events.js are answered by :data:`SDK_STANDIN`, which leaves
the queue as the page built it; every other third-party request is aborted unless its host was
allowed. A FILE is served from a made-up origin, with the files beside it.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .calls import Call
from .foreign_calls import to_call
from .fragment import too_deep
from .page_fetch import MAX_BYTES, FetchError, decode, is_url, read_file
from .page_report import PageReport
from .pagescan import PageScan, scan
from .validation import BrowserPage, check_browser_page

#: TikTok's hosts for events.js (the US data-residency host too).
TIKTOK_HOSTS = frozenset({"analytics.tiktok.com", "analytics.us.tiktok.com"})
_SDK_PATH = re.compile(r"/i18n/pixel/(?:events|sdk)\.js$")
#: The origin FILE inputs are served from (``.test`` is reserved: it never resolves).
FILE_ORIGIN = "http://tiktok-pixel-check.test"

CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
INSTALL_PLAYWRIGHT = "pip install 'tiktok-pixel[browser]'"
INSTALL_CHROMIUM = "apt-get install chromium, or give --chromium PATH"

#: Stand-in for events.js: it sends nothing and leaves the queues as the page built them; it
#: only reports that it ran (Chromium may answer a second tag for the same URL from its cache,
#: so runs, not requests, count how often the page loaded the SDK).
SDK_STANDIN = """/* tiktok-pixel check: stand-in for TikTok's events.js; it sends nothing. */
(function () {
  try {
    var report = window["__BINDING__"], script = document.currentScript;
    if (typeof report === "function") report({kind: "sdk", src: script ? script.src : ""});
  } catch (e) {}
})();
"""

#: Calls recorded per page at most (a page calling ttq in a loop must not exhaust memory).
MAX_CALLS = 5000
#: Arguments nested deeper than this are cut (``null``) when recorded.
MAX_DEPTH = 64

#: The init script. ``__BINDING__`` is replaced by the name of the Playwright binding that
#: receives records; the name is random per run so the page cannot guess it.
RECORDER = r"""(() => {
  const NAME = "__BINDING__";
  const METHODS = ["page", "track", "identify", "instances", "debug", "on", "off", "once",
    "ready", "alias", "group", "enableCookie", "disableCookie", "holdConsent",
    "revokeConsent", "grantConsent", "load", "instance"];
  const MAX_DEPTH = __MAX_DEPTH__, MAX_NODES = 20000, MAX_CALLS = __MAX_CALLS__, BUDGET = 500000;
  // Built-ins taken before the page can replace them.
  const apply = Reflect.apply, define = Object.defineProperty, keys = Object.keys;
  const describe = Object.getOwnPropertyDescriptor, isArray = Array.isArray;
  const own = Object.prototype.hasOwnProperty;
  let sent = 0, depth = 0, spent = 0;
  const send = (record) => {
    try { const f = window[NAME]; if (typeof f === "function") f(record); } catch (e) {}
  };
  // A JSON-like copy, taken when the call is made: later changes to the page's objects, cycles,
  // getters that throw and absurd nesting cannot change or break what is recorded.
  const clone = (value) => {
    let nodes = 0;
    const seen = new Set();
    const copy = (v, level) => {
      if (++nodes > MAX_NODES || ++spent > BUDGET || level > MAX_DEPTH) return null;
      if (v === null || typeof v === "string" || typeof v === "boolean") return v;
      if (typeof v === "number") return isFinite(v) ? v : null;
      if (typeof v !== "object") return undefined;
      if (seen.has(v)) return null;
      try {
        if (typeof v.toJSON === "function") return copy(v.toJSON(), level);
      } catch (e) { return null; }
      seen.add(v);
      try {
        if (isArray(v)) {
          const out = [];
          for (let i = 0; i < v.length && nodes < MAX_NODES; i++) {
            const item = copy(v[i], level + 1);
            out.push(item === undefined ? null : item);
          }
          return out;
        }
        const out = {};
        for (const key of keys(v)) {
          const item = copy(v[key], level + 1);
          if (item !== undefined) out[key] = item;
        }
        return out;
      } catch (e) {
        return null;
      } finally {
        seen.delete(v);
      }
    };
    return copy(value, 0);
  };
  const done = new WeakSet();
  const wrap = (method, fn, name, pixel) => function (...args) {
    if (method !== "instance" && depth === 0 && sent < MAX_CALLS) {
      sent++;
      const copied = [];
      for (const arg of args) { const c = clone(arg); copied.push(c === undefined ? null : c); }
      while (copied.length && args[copied.length - 1] === undefined) copied.pop();
      send({kind: "call", method, args: copied, pixel, name});
    }
    depth++;
    try {
      const result = apply(fn, this, args);
      return method === "instance" && typeof args[0] === "string"
        ? instrument(result, name, args[0]) : result;
    } finally {
      depth--;
    }
  };
  // Make every method assigned to ``obj`` (now or later) a recording wrapper around it.
  const instrument = (obj, name, pixel) => {
    if (!obj || typeof obj !== "object" || done.has(obj)) return obj;
    done.add(obj);
    for (const method of METHODS) {
      const before = describe(obj, method);
      if (before && (!before.configurable || !apply(own, before, ["value"]))) continue;
      let current = before ? before.value : undefined, wrapped = null, wrappedFor = null;
      try {
        define(obj, method, {
          configurable: true,
          enumerable: false,
          get() {
            if (typeof current !== "function") return current;
            if (wrappedFor !== current) {
              wrappedFor = current;
              wrapped = wrap(method, current, name, pixel);
            }
            return wrapped;
          },
          set(value) { current = value; },
        });
      } catch (e) {}
    }
    return obj;
  };
  const watched = new Set();
  const watch = (name) => {
    if (watched.has(name)) return;
    watched.add(name);
    const before = describe(window, name);
    if (before && !before.configurable) return;
    let value = before ? before.value : undefined;
    instrument(value, name, null);
    define(window, name, {
      configurable: true,
      enumerable: true,
      get() { return value; },
      set(v) { value = v; instrument(v, name, null); },
    });
  };
  watch("ttq");
  let analyticsObject;
  define(window, "TiktokAnalyticsObject", {
    configurable: true,
    enumerable: true,
    get() { return analyticsObject; },
    set(v) {
      analyticsObject = v;
      if (typeof v === "string" && /^[A-Za-z_$][\w$]*$/.test(v)) watch(v);
    },
  });
  document.addEventListener("securitypolicyviolation", (e) => send({
    kind: "csp",
    directive: String(e.effectiveDirective || e.violatedDirective || ""),
    blocked: String(e.blockedURI || ""),
    sample: String(e.sample || ""),
    line: Number(e.lineNumber || 0),
  }), true);
})();"""

#: Messages of errors a call on a ``ttq`` that does not exist yet throws.
_EARLY_CALL_ERROR = re.compile(
    r"\(reading '(?:track|identify|page|load|instance|holdConsent|grantConsent|revokeConsent)'\)"
    r"|\bttq\w* is not defined|\bttq\w*\.\w+ is not a function"
)


class BrowserUnavailable(Exception):
    """Playwright or Chromium is missing or cannot start: one line naming the fix (exit 2)."""


@dataclass(frozen=True)
class BrowserOptions:
    """How pages are run: the Chromium binary, settle time, extra allowed hosts, timeout."""

    chromium: str | None = None
    settle: float = 1.0
    allow_hosts: tuple[str, ...] = ()
    timeout: float = 10.0


@dataclass
class BrowserResult:
    """A page run: its report, its HTML after the scripts ran (for links) and its final URL."""

    report: PageReport
    html: str
    url: str
    is_html: bool = True


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: ``explicit``, ``$TIKTOK_PIXEL_CHROMIUM``, or one on PATH."""
    path = explicit or os.environ.get("TIKTOK_PIXEL_CHROMIUM") or ""
    if path:
        found = shutil.which(path) if os.sep not in path else path
        if not found or not os.path.isfile(found):
            raise BrowserUnavailable(f"no Chromium at {path} ({INSTALL_CHROMIUM})")
        return found
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise BrowserUnavailable(f"no Chromium found on PATH ({INSTALL_CHROMIUM})")
    return found


@dataclass
class _Run:
    """What one page did, as recorded while it ran."""

    records: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sdk_requests: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def add(self, record: object) -> None:
        """Keep a record the init script sent. The page can find the binding and call it too,
        so anything that is not a plain, shallow record is dropped."""
        if (
            isinstance(record, dict)
            and len(self.records) < MAX_CALLS + 1000
            and not too_deep(record, MAX_DEPTH + 8)
        ):
            self.records.append(record)


def _sdk_request(url: str) -> tuple[str, str] | None:
    """``(sdkid, lib)`` when ``url`` loads events.js (TikTok's, or a copy with ``sdkid=``)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    tiktok = (parts.hostname or "") in TIKTOK_HOSTS and bool(_SDK_PATH.search(parts.path))
    if not tiktok and not ("sdkid" in query and parts.path.endswith(".js")):
        return None
    return (query.get("sdkid") or [""])[0].upper(), (query.get("lib") or ["ttq"])[0]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class BrowserChecker:
    """A Chromium kept open to check pages one after the other (use as a context manager)."""

    def __init__(self, options: BrowserOptions) -> None:
        self.options = options
        self._binding = "__tiktokPixelCheck_" + secrets.token_hex(8)
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> BrowserChecker:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise BrowserUnavailable(f"--browser needs Playwright: {INSTALL_PLAYWRIGHT}") from None
        path = find_chromium(self.options.chromium)
        manager = sync_playwright()
        try:
            self._playwright = manager.start()
            self._browser = self._playwright.chromium.launch(
                executable_path=path, args=list(CHROMIUM_ARGS), timeout=60_000
            )
        except Exception as exc:
            self.close()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BrowserUnavailable(
                f"Chromium at {path} cannot start: {first[:200]} ({INSTALL_CHROMIUM})"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def check(self, source: str) -> BrowserResult:
        """Run ``source`` (a FILE, ``-`` or an http(s) URL) and check what it did."""
        if is_url(source):
            return self._run(source, source, None)
        text = read_file(source)
        if source == "-":
            return self._run(source, FILE_ORIGIN + "/stdin.html", (None, text))
        path = Path(source).resolve()
        return self._run(source, FILE_ORIGIN + "/" + path.name, (path.parent, text))

    def _run(self, source: str, url: str, file: tuple[Path | None, str] | None) -> BrowserResult:
        run = _Run()
        context = self._browser.new_context(service_workers="block")
        try:
            context.expose_binding(self._binding, lambda _source, record: run.add(record))
            context.add_init_script(
                RECORDER.replace("__BINDING__", self._binding)
                .replace("__MAX_CALLS__", str(MAX_CALLS))
                .replace("__MAX_DEPTH__", str(MAX_DEPTH))
            )
            page = context.new_page()

            router = _Router(
                run,
                self._standin(),
                origins={_origin(url)},
                allowed={host.lower() for host in self.options.allow_hosts},
                page_url=url,
                file=file,
                main_frame=page.main_frame,
            )
            context.route("**/*", router.route)
            page.on("pageerror", lambda error: run.errors.append(str(error)))
            try:
                response = page.goto(url, wait_until="load", timeout=self.options.timeout * 1000)
            except Exception as exc:
                if "Timeout" in type(exc).__name__:
                    raise FetchError(
                        f"{source}: did not load within {self.options.timeout:g} s"
                    ) from None
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise FetchError(f"{source}: cannot load: {first[:200]}") from None
            router.navigating = False
            if response is not None and response.status >= 400:
                raise FetchError(f"{source}: HTTP {response.status} {response.status_text}")
            served = file[1] if file is not None else _body(response)
            kind = "" if response is None else response.headers.get("content-type", "")
            is_html = file is not None or not kind or "html" in kind.lower()
            settle_until = time.monotonic() + self.options.settle
            while (left := settle_until - time.monotonic()) > 0:
                page.wait_for_timeout(min(100.0, left * 1000))
            page.evaluate("0")  # a round trip: records sent so far have arrived
            final_url = page.url
            try:
                dom = page.content()
            except Exception:  # the page is navigating away: links are not essential
                dom = served
        finally:
            context.close()
        static_page, problems = scan(served)
        report = _report(source, static_page, problems, run)
        return BrowserResult(report, dom, final_url, is_html)

    def _standin(self) -> str:
        return SDK_STANDIN.replace("__BINDING__", self._binding)


@dataclass
class _Router:
    """Answers every request of a page: TikTok's SDK by the stand-in, a FILE and the files
    beside it from disk, the page's own origin and allowed hosts from the network; the rest is
    aborted (and its host listed)."""

    run: _Run
    standin: str
    origins: set[str]
    allowed: set[str]
    page_url: str = ""
    file: tuple[Path | None, str] | None = None
    main_frame: Any = None
    #: True until the page has loaded: the page's own redirects may change its origin.
    navigating: bool = True

    def route(self, route: Any) -> None:
        request = route.request
        url = request.url
        sdk = _sdk_request(url)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if sdk is not None and host not in TIKTOK_HOSTS:
            self.run.sdk_requests.append(sdk)  # a copy of events.js the site serves itself
        if host in TIKTOK_HOSTS:
            if sdk is not None:
                route.fulfill(status=200, content_type="application/javascript", body=self.standin)
            else:
                self.run.blocked.append(host)
                route.abort()
            return
        if self.file is not None and _origin(url) == FILE_ORIGIN:
            self._serve_file(route, parts.path, self.file)
            return
        main = request.is_navigation_request() and request.frame == self.main_frame
        if main and self.navigating and parts.scheme in ("http", "https"):
            self.origins.add(_origin(url))  # a redirect of the page itself
            route.continue_()
        elif (_origin(url) in self.origins and not main) or host in self.allowed:
            route.continue_()
        else:
            self.run.blocked.append(host or parts.scheme)
            route.abort()

    def _serve_file(self, route: Any, path: str, file: tuple[Path | None, str]) -> None:
        directory, text = file
        if path == urlsplit(self.page_url).path:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=text)
            return
        if directory is not None:
            target = (directory / unquote(path).lstrip("/")).resolve()
            inside = target.is_relative_to(directory) and target.is_file()
            if inside and target.stat().st_size <= MAX_BYTES:
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                route.fulfill(status=200, content_type=kind, body=target.read_bytes())
                return
        route.fulfill(status=404, content_type="text/plain", body="not found")


def _body(response: Any) -> str:
    if response is None:
        return ""
    try:
        data = response.body()
    except Exception:  # a body Chromium no longer holds (a redirect chain)
        return ""
    charset = None
    match = re.search(r"charset=([\w.:-]+)", response.headers.get("content-type", ""))
    if match:
        charset = match.group(1)
    return decode(data[: MAX_BYTES + 1], charset)


def _calls(records: Sequence[dict[str, Any]]) -> list[tuple[Call, str]]:
    """The recorded calls, with the global name each was made on."""
    calls = []
    for record in records:
        if record.get("kind") != "call" or not isinstance(record.get("method"), str):
            continue
        args = record.get("args")
        pixel = record.get("pixel")
        calls.append(
            (
                to_call(
                    record["method"],
                    args if isinstance(args, list) else [],
                    pixel if isinstance(pixel, str) else None,
                ),
                str(record.get("name") or "ttq"),
            )
        )
    return calls


def _csp_blocks(records: Sequence[dict[str, Any]], page: PageScan, loaded: bool) -> list[str]:
    """The CSP violations that stopped the pixel: events.js refused, or a pixel inline script."""
    inline_lines = [
        (item.line, item.line + item.text.count("\n"))
        for item in page.scripts
        if "ttq" in item.text or "TiktokAnalyticsObject" in item.text
    ] + [(fragment.line, fragment.line) for fragment in page.fragments if fragment.inline]
    blocks = []
    for record in records:
        if record.get("kind") != "csp":
            continue
        directive = str(record.get("directive", ""))
        blocked = str(record.get("blocked", ""))
        if not directive.startswith("script-src"):
            continue
        if _sdk_request(blocked) is not None or (urlsplit(blocked).hostname or "") in TIKTOK_HOSTS:
            blocks.append(f"{directive} blocked {blocked.split('?')[0]}")
            continue
        if blocked != "inline":
            continue
        line = int(record.get("line") or 0)
        sample = str(record.get("sample", ""))
        at_pixel = any(first <= line <= last + 1 for first, last in inline_lines)
        if "ttq" in sample or at_pixel or (inline_lines and not loaded):
            blocks.append(f"{directive} blocked the inline pixel script at line {line}")
    return blocks


def _report(source: str, page: PageScan, problems: list[str], run: _Run) -> PageReport:
    calls = _calls(run.records)
    for record in run.records:
        sdk = _sdk_request(str(record.get("src", ""))) if record.get("kind") == "sdk" else None
        if sdk is not None:
            run.sdk_requests.append(sdk)
    loads = tuple(
        (call.pixel_code or "(not a pixel code)", name)
        for call, name in calls
        if call.method == "load"
    )
    early: list[str] = []
    if not loads and not run.sdk_requests:
        early += [
            f"{call.method} {json.dumps(call.event) if call.event else ''}".strip()
            + " was queued but no loader ran"
            for call, _ in calls
        ]
    early += [
        f"the page threw: {message.splitlines()[0][:160]}"
        for message in run.errors
        if _EARLY_CALL_ERROR.search(message)
    ]
    seen = BrowserPage(
        loads=loads,
        sdk_requests=tuple(run.sdk_requests),
        early_calls=tuple(early),
        csp_blocks=tuple(_csp_blocks(run.records, page, bool(loads))),
    )
    checked = check_browser_page(page, problems, [call for call, _ in calls], seen)
    return PageReport(
        source,
        list(checked.calls),
        list(checked.findings),
        blocked_hosts=sorted(set(run.blocked)),
    )
