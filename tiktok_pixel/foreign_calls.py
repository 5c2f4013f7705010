"""Read the ``ttq`` calls of scripts we did not render, without running them.

``check`` (without ``--browser``) uses this for TikTok's stock base code and for hand-written
``ttq.track/identify/page(...)`` calls. A call is read only when it is certain to run as the page
loads (a statement at the top level of an inline script, or of a function expression that is
called at once, like the base code's ``!function(w,d,t){...}(window,document,'ttq')``) and its
arguments are literals (JSON-like: unquoted keys, single quotes, trailing commas are fine). Any
other call it sees is listed as :class:`Unread` so the report can say "use --browser".

It is a tokenizer, not a JavaScript parser: it follows brackets, strings, comments, template
literals and regular expressions far enough to find calls and their literal arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .calls import Call
from .csp_policy import inline_allowed
from .fragment import MAX_PAYLOAD_DEPTH
from .pagescan import Fragment, InlineScript, Loader, PageScan, call_from_args, replay

#: The methods whose calls are reported (``instance``, ``setAndDefer`` and the like only build
#: the queue).
READ_METHODS = frozenset(
    {
        "track",
        "identify",
        "page",
        "load",
        "holdConsent",
        "grantConsent",
        "revokeConsent",
        "enableCookie",
        "disableCookie",
    }
)
_METHODS = "|".join(sorted(READ_METHODS))
#: Objects ``ttq`` may be reached through: ``window.ttq``, ``w.ttq`` inside the base code.
_GLOBAL_OBJECTS = frozenset({"window", "self", "globalThis", "w"})
#: Scripts longer than this are not tokenized; their calls are reported as unread.
MAX_SCRIPT = 2 * 1024 * 1024

_KEYWORDS_BEFORE_REGEX = frozenset(
    {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw"}
    | {"instanceof", "yield", "await"}
)
#: Names after which a line break does not end a statement.
_NO_STATEMENT_AFTER = _KEYWORDS_BEFORE_REGEX | {"return", "else", "do", "case", "default"}
#: Keywords whose parenthesised head governs the statement that follows.
_HEADS = ("if", "while", "for", "with")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<name>[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)
  | (?P<number>(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
                |(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)n?)
  | (?P<string>"(?:[^"\\\n]|\\.|\\\n)*"|'(?:[^'\\\n]|\\.|\\\n)*')
  | (?P<punct>=>|\.\.\.|\?\.|[{}()\[\];,.:?~!<>=+\-*%&|^@#]+?|/)
  | (?P<backtick>`)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")


@dataclass(frozen=True, slots=True)
class Unread:
    """A ``ttq`` call seen in a script but not read: where it is, how it starts and why."""

    line: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}

    def __str__(self) -> str:
        return f"line {self.line}: {self.text} ({self.reason})"


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # name, number, string, punct, template, regex
    value: str
    start: int
    end: int


class NotLiteral(ValueError):
    """An argument that is not a literal value."""


def _tokens(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos, size = 0, len(text)
    while pos < size:
        match = _TOKEN.match(text, pos)
        if match is None:  # a character JavaScript has no token for: skip it
            pos += 1
            continue
        kind = match.lastgroup or ""
        end = match.end()
        if kind in ("space", "comment"):
            pos = end
            continue
        if kind == "backtick":
            end, plain = _skip_template(text, pos + 1)
            tokens.append(_Tok("template" if plain else "template-expr", text[pos:end], pos, end))
            pos = end
            continue
        if kind == "punct" and match.group() == "/" and _regex_allowed(tokens):
            end = _skip_regex(text, pos + 1)
            tokens.append(_Tok("regex", text[pos:end], pos, end))
            pos = end
            continue
        tokens.append(_Tok(kind, match.group(), pos, end))
        pos = end
    return tokens


def _regex_allowed(tokens: list[_Tok]) -> bool:
    if not tokens:
        return True
    last = tokens[-1]
    if last.kind == "name":
        return last.value in _KEYWORDS_BEFORE_REGEX
    if last.kind == "punct":
        return last.value not in (")", "]", "}")
    return False


def _skip_regex(text: str, pos: int) -> int:
    in_class = False
    while pos < len(text) and text[pos] != "\n":
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "/" and not in_class:
            pos += 1
            while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
                pos += 1
            return pos
        pos += 1
    return pos


def _skip_template(text: str, pos: int) -> tuple[int, bool]:
    """The end of a template literal starting after its backtick, and whether it has no ``${``.

    Iterative (a stack of contexts, not recursion): nested templates cannot exhaust the stack.
    """
    plain = True
    stack = ["`"]  # "`": in template text; "{": in a ${...} expression or a brace inside it
    while pos < len(text) and stack:
        char = text[pos]
        if stack[-1] == "`":
            if char == "\\":
                pos += 2
                continue
            if char == "`":
                stack.pop()
            elif text.startswith("${", pos):
                plain = False
                stack.append("{")
                pos += 1
            pos += 1
            continue
        if char in "\"'":
            match = _TOKEN.match(text, pos)
            pos = match.end() if match and match.lastgroup == "string" else pos + 1
            continue
        if char == "`" or char == "{":
            stack.append(char)
        elif char == "}":
            stack.pop()
        pos += 1
    return pos, plain


def _decode_string(raw: str) -> str:
    def escape(match: re.Match[str]) -> str:
        body = match.group(1)
        if body[0] == "u":
            code = int(body[2:-1] if body[1] == "{" else body[1:], 16)
            return chr(code) if code <= 0x10FFFF else "\ufffd"
        if body[0] == "x":
            return chr(int(body[1:], 16))
        if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""  # a line continuation
        return _ESCAPES.get(body, body)

    return _ESCAPE.sub(escape, raw)


def _number(raw: str) -> int | float:
    raw = raw.replace("_", "")
    if raw.endswith("n"):
        return int(raw[:-1], 0)
    if raw[:2].lower() in ("0x", "0o", "0b"):
        return int(raw, 0)
    value = float(raw)
    # What JSON.stringify would print: integral values without a fraction.
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


_UNDEFINED = object()


class _Literals:
    """Reads one literal value from the token list: objects, arrays, strings, numbers."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens

    def value(self, index: int, depth: int = 0) -> tuple[Any, int]:
        if depth > MAX_PAYLOAD_DEPTH:  # a hostile page must not exhaust the stack
            raise NotLiteral("nested too deeply")
        if index >= len(self.tokens):
            raise NotLiteral("the script ends")
        tok = self.tokens[index]
        if tok.kind == "string":
            return _decode_string(tok.value[1:-1]), index + 1
        if tok.kind == "template":
            return _decode_string(tok.value[1:-1]), index + 1
        if tok.kind == "number":
            return _number(tok.value), index + 1
        if tok.kind == "punct" and tok.value in ("-", "+") and index + 1 < len(self.tokens):
            following = self.tokens[index + 1]
            if following.kind == "number":
                number = _number(following.value)
                return (-number if tok.value == "-" else number), index + 2
        if tok.kind == "name":
            constants = {"true": True, "false": False, "null": None, "undefined": _UNDEFINED}
            if tok.value in constants:
                return constants[tok.value], index + 1
        if tok.kind == "punct" and tok.value == "[":
            return self._array(index + 1, depth + 1)
        if tok.kind == "punct" and tok.value == "{":
            return self._object(index + 1, depth + 1)
        raise NotLiteral(f"{tok.value[:20]!r} is not a literal")

    def _punct(self, index: int, *values: str) -> bool:
        return (
            index < len(self.tokens)
            and self.tokens[index].kind == "punct"
            and self.tokens[index].value in values
        )

    def _array(self, index: int, depth: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        while not self._punct(index, "]"):
            if self._punct(index, ","):  # a hole: JSON.stringify writes null
                items.append(None)
                index += 1
                continue
            item, index = self.value(index, depth)
            items.append(None if item is _UNDEFINED else item)
            if self._punct(index, ","):
                index += 1
            elif not self._punct(index, "]"):
                raise NotLiteral("not an array literal")
        return items, index + 1

    def _object(self, index: int, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        while not self._punct(index, "}"):
            if index >= len(self.tokens):
                raise NotLiteral("the script ends")
            key_tok = self.tokens[index]
            if key_tok.kind == "name":
                key = key_tok.value
            elif key_tok.kind == "string":
                key = _decode_string(key_tok.value[1:-1])
            elif key_tok.kind == "number":
                key = str(_number(key_tok.value))
            else:
                raise NotLiteral("not an object literal")
            if not self._punct(index + 1, ":"):
                raise NotLiteral("not an object literal")  # shorthand, method, spread
            item, index = self.value(index + 2, depth)
            if item is not _UNDEFINED:  # JSON.stringify leaves undefined members out
                result[key] = item
            if self._punct(index, ","):
                index += 1
            elif not self._punct(index, "}"):
                raise NotLiteral("not an object literal")
        return result, index + 1

    def arguments(self, index: int) -> tuple[list[Any], int]:
        """The arguments from after ``(`` to the closing ``)``; the index after it."""
        args: list[Any] = []
        while not self._punct(index, ")"):
            item, index = self.value(index, 1)
            args.append(item)
            if self._punct(index, ","):
                index += 1
            elif not self._punct(index, ")"):
                raise NotLiteral("not a literal argument list")
        # Trailing undefined arguments are as good as missing.
        while args and args[-1] is _UNDEFINED:
            args.pop()
        return [None if arg is _UNDEFINED else arg for arg in args], index + 1


def _matching(tokens: list[_Tok]) -> dict[int, int]:
    """Index of each bracket's partner (both ways); unbalanced brackets are left out."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[int] = []
    match: dict[int, int] = {}
    for index, tok in enumerate(tokens):
        if tok.kind != "punct":
            continue
        if tok.value in "([{":
            stack.append(index)
        elif tok.value in pairs:
            while stack and tokens[stack[-1]].value != pairs[tok.value]:
                stack.pop()
            if stack:
                opener = stack.pop()
                match[opener], match[index] = index, opener
    return match


class _Script:
    def __init__(self, text: str, first_line: int, names: Iterable[str] = ()) -> None:
        self.text = text
        self.first_line = first_line
        self.tokens = _tokens(text)
        self.match = _matching(self.tokens)
        self.names = {"ttq", *names} | set(self.global_names())
        self.live = self._live_ranges()

    def _is(self, index: int, kind: str, *values: str) -> bool:
        if not 0 <= index < len(self.tokens):
            return False
        tok = self.tokens[index]
        return tok.kind == kind and (not values or tok.value in values)

    def global_names(self) -> Iterator[str]:
        """Global names a base code installs: ``}(window, document, 'NAME')``."""
        for index, tok in enumerate(self.tokens):
            if (
                tok.kind == "string"
                and self._is(index - 1, "punct", ",")
                and self._is(index - 2, "name", "document")
                and self._is(index + 1, "punct", ")")
            ):
                name = tok.value[1:-1]
                if re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                    yield name

    def _is_iife_body(self, brace: int) -> bool:
        """True when the ``{`` at ``brace`` opens the body of a function called at once."""
        close = self.match.get(brace)
        if close is None:
            return False
        before = brace - 1
        if self._is(before, "punct", "=>"):
            before -= 1
            if self._is(before, "punct", ")"):
                before = self.match.get(before, before) - 1
            elif self._is(before, "name"):
                before -= 1
        elif self._is(before, "punct", ")") and before in self.match:
            opener = self.match[before]
            if self._is(opener - 1, "name") and self._is(opener - 2, "name", "function"):
                pass  # a named function expression
            elif not self._is(opener - 1, "name", "function"):
                return False
        else:
            return False
        after = close + 1
        if self._is(after, "punct", ")"):
            after += 1
        if self._is(after, "punct", ".") and self._is(after + 1, "name", "call", "apply"):
            after += 2
        return self._is(after, "punct", "(")

    def _wraps_function(self, paren: int) -> bool:
        """Whether the ``(`` at ``paren`` starts with a function expression."""
        if self._is(paren + 1, "name", "function"):
            return True
        inner = paren + 1
        if self._is(inner, "punct", "(") and inner in self.match:
            return self._is(self.match[inner] + 1, "punct", "=>")
        return self._is(inner, "name") and self._is(inner + 1, "punct", "=>")

    def _live_ranges(self) -> list[bool]:
        """Per token: whether it is at the top level of the script or of an IIFE body."""
        live = [True] * len(self.tokens)
        stack: list[bool] = []  # for each open bracket: does its content run at once?
        for index, tok in enumerate(self.tokens):
            current = all(stack)
            if tok.kind == "punct" and tok.value in ("(", "[", "{"):
                live[index] = current
                if tok.value == "{":
                    stack.append(self._is_iife_body(index))
                else:  # parentheses around a function expression: ``(function () {...})()``
                    stack.append(tok.value == "(" and self._wraps_function(index))
                continue
            if tok.kind == "punct" and tok.value in (")", "]", "}") and stack:
                stack.pop()
                live[index] = all(stack)
                continue
            live[index] = current
        return live

    def line(self, index: int) -> int:
        return self.first_line + self.text.count("\n", 0, self.tokens[index].start)

    def excerpt(self, start: int, end: int) -> str:
        text = " ".join(self.text[self.tokens[start].start : self.tokens[end].end].split())
        return text if len(text) <= 80 else text[:77] + "..."

    def _statement_start(self, index: int) -> bool:
        """Whether the token before ``index`` lets a call there run unconditionally."""
        if index == 0:
            return True
        prev = self.tokens[index - 1]
        if prev.kind == "punct" and prev.value == "{":
            return self._is_iife_body(index - 1)
        if prev.kind == "punct" and prev.value in (";", "}", ","):
            return True
        return self._after_line_break(index)

    def _after_line_break(self, index: int) -> bool:
        """A statement that starts a line after a complete one (automatic semicolon insertion)."""
        prev = self.tokens[index - 1]
        if "\n" not in self.text[prev.end : self.tokens[index].start]:
            return False
        if prev.kind == "name":
            return prev.value not in _NO_STATEMENT_AFTER
        if prev.kind in ("number", "string", "template", "regex"):
            return True
        if prev.kind == "punct" and prev.value == ")":
            opener = self.match.get(index - 1)
            # `if (x)` / `while (x)` / `for (...)` govern the line that follows
            return opener is not None and not self._is(opener - 1, "name", *_HEADS)
        return prev.kind == "punct" and prev.value == "]"

    def _receiver(self, index: int) -> tuple[int, int] | None:
        """``(start, after)`` when a ``ttq`` reference starts at ``index``; ``after`` is the dot."""
        tok = self.tokens[index]
        if tok.kind != "name":
            return None
        if tok.value in _GLOBAL_OBJECTS and self._is(index + 1, "punct", "."):
            if self._is(index - 1, "punct", ".", "?."):
                return None
            if self._is(index + 2, "name") and self.tokens[index + 2].value in self.names:
                return index, index + 3
            return None
        if tok.value in self.names and not self._is(index - 1, "punct", ".", "?."):
            return index, index + 1
        return None

    def calls(self) -> Iterator[tuple[int, int, Call | Unread]]:
        """Each ``ttq`` call: ``(first token, last token, Call or Unread)``, in script order."""
        tokens = self.tokens
        for index in range(len(tokens)):
            found = self._receiver(index)
            if found is None:
                continue
            start, dot = found
            pixel_code: str | None = None
            if (
                self._is(dot, "punct", ".")
                and self._is(dot + 1, "name", "instance")
                and self._is(dot + 2, "punct", "(")
            ):
                close = self.match.get(dot + 2)
                if close is None:
                    continue
                if close == dot + 4 and self._is(dot + 3, "string"):
                    pixel_code = _decode_string(tokens[dot + 3].value[1:-1])
                    dot = close + 1
                else:
                    method_at = close + 2
                    if (
                        self._is(close + 1, "punct", ".")
                        and self._is(method_at, "name")
                        and tokens[method_at].value in READ_METHODS
                    ):
                        yield (start, close, self._unread(start, close, "the pixel code"))
                    continue
            if not (
                self._is(dot, "punct", ".")
                and self._is(dot + 1, "name")
                and tokens[dot + 1].value in READ_METHODS
                and self._is(dot + 2, "punct", "(")
            ):
                continue
            method = tokens[dot + 1].value
            close = self.match.get(dot + 2, len(tokens) - 1)
            if not (self.live[start] and self._statement_start(start)):
                reason = "inside a function, condition or expression"
                yield start, close, self._unread(start, close, reason)
                continue
            try:
                args, _ = _Literals(tokens).arguments(dot + 3)
            except NotLiteral:
                yield start, close, self._unread(start, close, "arguments are not literals")
                continue
            except RecursionError:
                yield start, close, self._unread(start, close, "arguments nested too deeply")
                continue
            yield start, close, to_call(method, args, pixel_code)

    def _unread(self, start: int, end: int, reason: str) -> Unread:
        return Unread(self.line(start), self.excerpt(start, end), reason)


def to_call(method: str, args: list[Any], pixel_code: str | None = None) -> Call:
    """The :class:`Call` for ``ttq[method](...args)`` (on ``ttq.instance(pixel_code)`` if set).

    ``load`` is ``Call("load", params=options, pixel_code=code)`` as :func:`pagescan.replay`
    reports it; a ``track`` whose options name a ``pixel_code`` goes to that pixel only.
    """
    if method == "load":
        code = args[0] if args else None
        options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        return Call("load", None, options, None, code if isinstance(code, str) else None)
    call = call_from_args([method, *args], pixel_code)
    if method == "track" and pixel_code is None and len(args) > 2 and isinstance(args[2], dict):
        target = args[2].get("pixel_code")
        if isinstance(target, str):
            return Call(call.method, call.event, call.params, call.event_id, target)
    return call


def _mentions_pixel(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` may call a pixel method (a cheap test before tokenizing it)."""
    alternatives = "|".join(re.escape(name) for name in ("ttq", *names))
    pattern = rf"(?<![\w$])(?:{alternatives})\s*(?:\?\.|\.)\s*(?:instance|{_METHODS})(?![\w$])"
    return re.search(pattern, text) is not None


def read_script(
    text: str, first_line: int = 1, names: Iterable[str] = ()
) -> tuple[list[Call], list[Unread]]:
    """The ``ttq`` calls an inline script makes as the page loads, and those it could not read.

    ``names`` are further global names the page gives the pixel (``ttq`` is always one).
    """
    names = tuple(names)
    if not _mentions_pixel(text, names):
        return [], []
    if len(text) > MAX_SCRIPT:
        return [], [Unread(first_line, f"(a script of {len(text)} characters)", "too long")]
    calls: list[Call] = []
    unread: list[Unread] = []
    for _, _, found in _Script(text, first_line, names).calls():
        if isinstance(found, Unread):
            unread.append(found)
        else:
            calls.append(found)
    return calls, unread


def _defines_pixel(text: str) -> bool:
    """Whether a script installs a ``ttq`` queue (a base code, or a copy of our runtime)."""
    return "TiktokAnalyticsObject" in text


def _fragment_loaders(fragments: Iterable[Fragment]) -> list[Loader]:
    return [
        Loader(str(code), "fragment", fragment.line, fragment.in_head, fragment.position)
        for fragment in fragments
        if not fragment.existing
        for code in fragment.pixels
    ]


def page_calls(page: PageScan, policies: Sequence[str] = ()) -> tuple[list[Call], list[Unread]]:
    """Every call the page makes as it loads, read statically, in the order they run.

    Inline scripts (our inline fragments and other scripts) run in document order; our data
    blocks run after the page is parsed. Our fragments are replayed by :func:`pagescan.replay`,
    which skips pixels a base code or an earlier fragment loaded before them. A script's calls
    are not claimed when ``ttq`` cannot exist yet where it runs (the call throws), or when the
    page's Content-Security-Policy (``policies``) would block the script.
    """
    timeline: list[tuple[tuple[int, int], Fragment | InlineScript]] = [
        (fragment.position, fragment) for fragment in page.fragments if fragment.inline
    ]
    timeline += [(script.position, script) for script in page.scripts]
    timeline.sort(key=lambda item: item[0])
    timeline += [(f.position, f) for f in page.fragments if not f.inline]
    base_code = [loader for loader in page.loaders if loader.kind == "base-code"]
    names = sorted(
        {
            name
            for script in page.scripts
            if "TiktokAnalyticsObject" in script.text and len(script.text) <= MAX_SCRIPT
            for name in _Script(script.text, script.line).global_names()
        }
    )
    calls: list[Call] = []
    unread: list[Unread] = []
    done: list[Fragment] = []
    defined = False
    for _, item in timeline:
        if isinstance(item, Fragment):
            calls += replay([item], base_code + _fragment_loaders(done))
            done.append(item)
            defined = defined or not item.existing
            continue
        found, missed = read_script(item.text, item.line, names)
        blocked = not inline_allowed(policies, item.nonce)
        defines = _defines_pixel(item.text)
        if found and (blocked or not (defined or defines)):
            reason = (
                "the page's Content-Security-Policy may block this script"
                if blocked
                else "no loader has defined ttq before this script: the call throws"
            )
            missed = [
                Unread(item.line, f"{call.method} call(s) in this script", reason)
                for call in found[:1]
            ] + missed
            found = []
        calls += found
        unread += missed
        defined = defined or (defines and not blocked)
    return calls, unread
