"""Read a page back: the ``ttq`` calls our fragments will make, and every pixel loader on it.

This is the inverse of :mod:`tiktok_pixel.fragment` (which owns the format), used by
:mod:`tiktok_pixel.testing` (assertions in users' tests) and :mod:`tiktok_pixel.validation`
(page rules). It needs only the standard library's ``html.parser``: the environments it runs in
(users' CI) need not have html5lib.

The page is read the way the browser runs it. Each fragment carries a JSON payload (an inline
program of :mod:`tiktok_pixel.runtime` with the payload in it, or a ``<script
type="application/json" data-tiktok-pixel>PAYLOAD</script>`` data block) and :func:`replay`
applies the same logic as the runtime (``templates/runtime/runtime.js``): ``holdConsent`` when
held, then for each pixel not loaded yet on the page ``load`` and ``page``, then every call, once
per pixel through ``ttq.instance(code)`` when the payload lists several pixels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from .calls import Call
from .fragment import DATA_BLOCK_ATTRIBUTE, inline_payload, read_payload

#: TikTok's own base code: ``ttq.load('CODE')`` (any global name), and a direct events.js tag.
_FOREIGN_LOAD = re.compile(r"""\.load\(\s*["']([A-Za-z0-9]{16,24})["']""")
_SDK_SRC = re.compile(r"/i18n/pixel/(?:events|sdk)\.js\?(?:[^#]*&)?sdkid=([A-Za-z0-9]+)")

#: Elements that may stand in ``<head>``; any other start tag before ``<body>`` opens the body,
#: as the HTML parsing algorithm does.
_HEAD_ELEMENTS = frozenset(
    {"html", "head", "base", "link", "meta", "noscript", "script", "style", "template", "title"}
)
#: Scripts inside these never run (inert template content; noscript with scripting on).
_INERT = frozenset({"template", "noscript"})

LoaderKind = Literal["fragment", "base-code", "sdk-tag"]


class PayloadError(ValueError):
    """A fragment whose payload is not the JSON the runtime reads; names the fragment's line."""


@dataclass(frozen=True, slots=True)
class Fragment:
    """One rendered fragment found on the page: its payload and where it stands."""

    payload: dict[str, Any]
    inline: bool
    line: int
    in_head: bool
    #: ``(line, column)`` of the script tag, to order it against other scripts.
    position: tuple[int, int] = (0, 0)

    @property
    def pixels(self) -> tuple[str, ...]:
        return tuple(self.payload.get("pixels") or ())

    @property
    def existing(self) -> bool:
        return bool(self.payload.get("existing"))


@dataclass(frozen=True, slots=True)
class Loader:
    """Something on the page that loads pixel ``code``.

    ``fragment``: our runtime (it loads each code once per page, whatever renders it again);
    ``base-code``: a TikTok base code snippet calling ``ttq.load('CODE')``, which has no such guard;
    ``sdk-tag``: a ``<script src=".../events.js?sdkid=CODE">`` tag.
    """

    code: str
    kind: LoaderKind
    line: int
    in_head: bool
    position: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class PageScan:
    """Everything read from one page."""

    fragments: tuple[Fragment, ...]
    loaders: tuple[Loader, ...]
    calls: tuple[Call, ...] = field(default=())


def _is_javascript(type_: str | None) -> bool:
    """True for the ``type`` values a browser runs as classic script (or a module)."""
    if type_ is None:
        return True
    value = type_.strip().lower().split(";")[0].strip()
    return value in ("", "module") or value.endswith(("javascript", "ecmascript", "jscript"))


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fragments: list[Fragment] = []
        self.loaders: list[Loader] = []
        self.problems: list[str] = []
        # "before" (no head yet), "head", "after" (after </head>), "body"
        self._where = "before"
        self._inert = 0
        self._title = False  # inside <title>, whose text does not open the body
        self._script: dict[str, str | None] | None = None
        self._script_pos = (0, 0)
        self._script_head = False
        self._text: list[str] = []

    def _in_head(self) -> bool:
        # Scripts between </head> and <body> are moved into <head> by the HTML parser.
        return self._where != "body"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._inert:
            pass  # inert or raw-text content (scripting on) does not move the parser to <body>
        elif tag == "head" and self._where == "before":
            self._where = "head"
        elif tag == "body" or (tag not in _HEAD_ELEMENTS and self._where != "body"):
            self._where = "body"
        if tag in _INERT:
            self._inert += 1
        self._title = tag == "title"
        if tag == "script":
            self._script = {name.lower(): value for name, value in attrs}
            self._script_pos = self.getpos()
            self._script_head = self._in_head()
            self._text = []
            src = self._script.get("src")
            if src and not self._inert and _is_javascript(self._script.get("type")):
                match = _SDK_SRC.search(src)
                if match:
                    self._add_loader(match.group(1), "sdk-tag")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._title = False
        if tag == "head" and self._where in ("before", "head"):
            self._where = "after"
        elif tag in _INERT and self._inert:
            self._inert -= 1
        elif tag == "script" and self._script is not None:
            attrs, self._script = self._script, None
            if not self._inert:
                self._script_done(attrs, "".join(self._text))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)
        elif (
            data.strip() and self._where in ("before", "after") and not (self._title or self._inert)
        ):
            self._where = "body"

    def _add_loader(self, code: str, kind: LoaderKind) -> None:
        line = self._script_pos[0]
        self.loaders.append(Loader(code.upper(), kind, line, self._script_head, self._script_pos))

    def _script_done(self, attrs: Mapping[str, str | None], text: str) -> None:
        type_ = attrs.get("type")
        if DATA_BLOCK_ATTRIBUTE in attrs and (type_ or "").strip().lower() == "application/json":
            self._fragment(text, inline=False)
        elif "src" in attrs or not _is_javascript(type_):
            return
        else:
            try:
                payload = inline_payload(text)
            except ValueError as error:
                self.problems.append(f"line {self._script_pos[0]}: {error}")
                return
            if payload is not None:
                self._fragment(payload, inline=True)
                return
            for match in _FOREIGN_LOAD.finditer(text):
                self._add_loader(match.group(1), "base-code")

    def _fragment(self, text: str, *, inline: bool) -> None:
        try:
            payload = read_payload(text)
        except ValueError as exc:
            self.problems.append(f"line {self._script_pos[0]}: {exc}")
            return
        fragment = Fragment(
            payload, inline, self._script_pos[0], self._script_head, self._script_pos
        )
        self.fragments.append(fragment)
        if not fragment.existing:
            for code in fragment.pixels:
                self._add_loader(str(code), "fragment")


def call_from_args(args: list[Any], pixel_code: str | None = None) -> Call:
    """The :class:`Call` for one ``[method, ...args]`` entry of a payload (inverse of ``args()``).

    Values are kept as the page has them (an ``event_id`` that is a number stays a number) so the
    validator sees what TikTok would receive.
    """
    method = args[0]
    if method == "track":
        event = args[1] if len(args) > 1 else None
        params = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
        options = args[3] if len(args) > 3 and isinstance(args[3], dict) else {}
        return Call("track", event, params, options.get("event_id"), pixel_code)
    if method == "identify":
        params = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        return Call("identify", None, params, None, pixel_code)
    return Call(method, args[1] if len(args) > 1 else None, {}, None, pixel_code)


def replay(fragments: Iterable[Fragment], base_code: Iterable[Loader] = ()) -> list[Call]:
    """The calls the runtime makes for ``fragments``, run in this order on one page.

    ``load`` calls are reported as ``Call("load", params=options, pixel_code=code)``. A code that
    TikTok's own base code (``base_code``) loaded before a fragment runs is skipped by the
    runtime's once-per-page guard, exactly like a code an earlier fragment loaded: no ``load``,
    no ``page``. Data blocks run after the whole page is parsed, so after every base code.
    """
    earlier = sorted((loader.position, loader.code) for loader in base_code)
    loaded: set[str] = set()
    calls: list[Call] = []
    for fragment in fragments:
        loaded.update(
            code
            for position, code in earlier
            if not fragment.inline or position < fragment.position
        )
        payload = fragment.payload
        pixels = [str(code) for code in fragment.pixels]
        several = len(pixels) > 1
        if payload.get("hold"):
            calls.append(Call("holdConsent"))
        if not fragment.existing:
            options = payload.get("options") or {}
            for code in pixels:
                if code in loaded:
                    continue
                loaded.add(code)
                calls.append(Call("load", None, dict(options), None, code))
                if payload.get("page") is not False:
                    calls.append(Call("page", None, {}, None, code if several else None))
        targets: list[str | None] = list(pixels) if several else [None]
        for args in payload["calls"]:
            for target in targets:
                calls.append(call_from_args(args, target))
    return calls


def scan(html: str) -> tuple[PageScan, list[str]]:
    """Read ``html``: its fragments, its loaders and the calls, plus unreadable-fragment problems.

    Inline fragments run while the page is parsed; data blocks run when the (async) no-inline
    runtime script runs, after them. Our fragments are replayed after any TikTok base code that
    precedes them, whose loads the runtime's guard respects.
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    # An unclosed <script> at the end of the input is never run by a browser (HTML's EOF rule
    # marks it "already started"), so it is left out here too.
    fragments = tuple(scanner.fragments)
    ordered = [f for f in fragments if f.inline] + [f for f in fragments if not f.inline]
    base_code = [loader for loader in scanner.loaders if loader.kind == "base-code"]
    calls = tuple(replay(ordered, base_code))
    return PageScan(fragments, tuple(scanner.loaders), calls), scanner.problems
