"""Jinja extension: a ``{% tiktok_pixel %}`` tag and a ``tiktok_pixel()`` global.

Framework-free: it works in a bare ``jinja2.Environment``, where the page's
:class:`~tiktok_pixel.PageEvents` is read from the render context under :data:`CONTEXT_NAME`
(``tiktok_pixel_events``)::

    env = Environment(extensions=[TikTokPixelExtension], autoescape=True)
    env.from_string("<head>{% tiktok_pixel %}</head>").render(tiktok_pixel_events=page)
    env.from_string("<head>{% tiktok_pixel nonce=csp_nonce %}</head>").render(...)
    env.from_string("<head>{{ tiktok_pixel() }}</head>").render(...)

The nonce is the tag's ``nonce=`` argument when given, else the context's ``csp_nonce`` (a string,
or a callable such as flask-talisman's ``csp_nonce()`` global), else none.

A framework integration sets ``environment.tiktok_pixel_renderer`` to a callable
``(context, nonce) -> Markup`` to supply its own per-request collector and nonce instead.

Rendering happens at request time, so it never raises into the page: a failure (an invalid
nonce, a broken collector) logs one warning on the ``tiktok_pixel`` logger and renders nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, nodes, pass_context
from jinja2.exceptions import TemplateSyntaxError
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined
from jinja2.utils import missing
from markupsafe import Markup

from ..failures import log_render_failure

#: The render-context variable that holds the page's ``PageEvents``.
CONTEXT_NAME = "tiktok_pixel_events"

#: The render-context variable read for the CSP nonce when the tag is given none.
NONCE_CONTEXT_NAME = "csp_nonce"

#: ``(context, nonce) -> Markup``: a framework's own way to render the current page's pixel.
Renderer = Callable[[Context, "str | None"], Any]


def _plain_nonce(nonce: Any) -> Any:
    """Treat an undefined or empty nonce as no nonce."""
    if nonce is None or isinstance(nonce, Undefined) or nonce == "":
        return None
    return nonce


def _context_nonce(context: Context) -> Any:
    value = context.resolve_or_missing(NONCE_CONTEXT_NAME)
    if value is missing:
        return None
    if callable(value) and not isinstance(value, Undefined):
        value = value()
    return _plain_nonce(value)


def render_from_context(context: Context, nonce: str | None = None) -> Markup:
    """The pixel fragment for the page being rendered in ``context``; never raises.

    Uses the environment's ``tiktok_pixel_renderer`` when a framework set one; otherwise the
    ``PageEvents`` under :data:`CONTEXT_NAME` (nothing is rendered when there is none).
    """
    try:
        nonce = _plain_nonce(nonce)
        renderer: Renderer | None = getattr(context.environment, "tiktok_pixel_renderer", None)
        if renderer is not None:
            return Markup(renderer(context, nonce))
        name = getattr(context.environment, "tiktok_pixel_context_name", CONTEXT_NAME)
        events = context.resolve_or_missing(name)
        if events is None or events is missing or isinstance(events, Undefined):
            return Markup("")
        if nonce is None:
            nonce = _context_nonce(context)
        return Markup(events.render(nonce=nonce))
    except Exception as exc:  # request-time rendering must never fail the page
        log_render_failure(exc)
        return Markup("")


@pass_context
def tiktok_pixel(context: Context, nonce: str | None = None) -> Markup:
    """The ``tiktok_pixel()`` template global: same output as ``{% tiktok_pixel %}``."""
    return render_from_context(context, nonce)


#: The filter ``{% tiktok_pixel %}`` compiles to (``{{ nonce|tiktok_pixel.tag }}`` is the same
#: as ``{% tiktok_pixel nonce=nonce %}``; the tag is the documented way).
TAG_FILTER = "tiktok_pixel.tag"


@pass_context
def _tag(context: Context, nonce: Any) -> Markup:
    """What ``{% tiktok_pixel [nonce=EXPR] %}`` renders: :func:`render_from_context`, with the
    framework's renderer called straight away for the tag without a nonce."""
    renderer: Renderer | None = context.environment.tiktok_pixel_renderer  # type: ignore[attr-defined]
    if renderer is None or nonce is not None:
        return render_from_context(context, nonce)
    try:
        html = renderer(context, None)
        return html if type(html) is Markup else Markup(html)
    except Exception as exc:  # request-time rendering must never fail the page
        log_render_failure(exc)
        return Markup("")


class TikTokPixelExtension(Extension):
    """Adds the ``{% tiktok_pixel [nonce=EXPR] %}`` tag and the ``tiktok_pixel()`` global.

    Sets two environment attributes: ``tiktok_pixel_context_name`` (default
    :data:`CONTEXT_NAME`), the context variable holding the page's ``PageEvents``, and
    ``tiktok_pixel_renderer`` (default ``None``), a framework's own renderer.
    """

    tags = {"tiktok_pixel"}  # noqa: RUF012 (jinja2.ext.Extension declares it a set)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(tiktok_pixel_context_name=CONTEXT_NAME, tiktok_pixel_renderer=None)
        environment.globals["tiktok_pixel"] = tiktok_pixel
        environment.filters[TAG_FILTER] = _tag

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        nonce: nodes.Expr = nodes.Const(None)
        seen: set[str] = set()
        while parser.stream.current.type != "block_end":
            if seen:
                parser.stream.skip_if("comma")
            token = parser.stream.expect("name")
            if token.value != "nonce":
                parser.fail(
                    f"tiktok_pixel takes only a nonce= argument, not {token.value!r}",
                    token.lineno,
                    TemplateSyntaxError,
                )
            if token.value in seen:
                parser.fail("tiktok_pixel: nonce= given twice", token.lineno, TemplateSyntaxError)
            seen.add(token.value)
            parser.stream.expect("assign")
            nonce = parser.parse_expression()
        # Compiled as a filter, which Jinja calls directly: a call node would go through
        # Context.call, whose checks cost more than the tag's own work under a framework.
        tag = nodes.Filter(nonce, TAG_FILTER, [], [], None, None, lineno=lineno)
        return nodes.Output([tag], lineno=lineno)
