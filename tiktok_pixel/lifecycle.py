"""One request's pixel, from the view's first call to the response: the same for every framework.

A framework adapter validates its settings once into a :class:`Site`, then for each request:

1. ``pixel = site.begin(request, carrier=..., carried=...)``; views queue calls on
   ``pixel.events`` (a :class:`~tiktok_pixel.PageEvents`);
2. templates print ``pixel.render(nonce)`` (the ``{% tiktok_pixel %}`` tag, however many times);
3. ``pixel.fail()`` when the view raised and the framework answers with its error page;
4. ``pixel.respond(status=..., content_type=..., ...)`` once the response is known and before
   its headers are sent: carries calls over a redirect, auto-injects, forgets shown calls; the
   adapter then sends ``pixel.cookie`` (when set) as a ``Set-Cookie`` header, with
   ``Vary: Cookie`` and a private ``Cache-Control``;
5. ``pixel.hand_off(environ, status=...)`` at the end: the Events API mirror gets the track calls.

The rules (the README's "Request lifecycle" section):

- a page renders each call at most once, however many times the tag renders; a later tag renders
  only calls queued since the earlier one (and nothing when there are none);
- calls of a request that ends in a redirect wait in a signed cookie of ours
  (:mod:`tiktok_pixel.carry_cookie`) and render on the next HTML page, once; HEAD, 304 and
  non-HTML responses leave them waiting; a streamed page renders after its headers are sent, so
  it renders only its own calls;
- a request that raised renders none of its own calls (the error page gets the bare loader) and
  mirrors none; carried calls stay waiting for the next good page;
- every script carries the request's CSP nonce; without a known request nothing is rendered;
- auto-injection puts the fragment before the document's real ``</head>``
  (:mod:`tiktok_pixel.inject`) of an HTML page that has no fragment yet
  (:mod:`tiktok_pixel.fragment`);
- an htmx request (:mod:`tiktok_pixel.htmx`; the adapter sets ``pixel.htmx``): the tag renders
  nothing and the calls go in the ``HX-Trigger`` response header, or wait in the cookie;
- no session is ever touched; a response gets ``Set-Cookie`` (and ``Vary: Cookie``) only when it
  carries calls, shows carried calls, or drops a carry cookie it refused.

Nothing here raises into the page: a request-time failure is one logged warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from . import htmx
from .calls import Call
from .carry_cookie import CarryCookie
from .collector import PageEvents
from .config import PixelConfig
from .failures import describe_failure, log_render_failure
from .fragment import has_fragment, render_page
from .handoff import ConsentFunction, mirror_request
from .inject import head_end

if TYPE_CHECKING:
    from .events_api import EventsApiMirror

__all__ = [
    "HTML_TYPES",
    "CarrierGetter",
    "NonceFunction",
    "RequestPixel",
    "Site",
    "is_page",
    "is_redirect",
]

logger = logging.getLogger(__name__)

#: ``NONCE`` setting: ``callable(request) -> str | None``, the request's CSP nonce.
NonceFunction = Callable[[Any], "str | None"]

#: Gives the site's carry cookie (its secret, path, ``Secure``), or ``None`` when the site has no
#: secret to sign with; called only when something is carried or a carry came back.
CarrierGetter = Callable[[], "CarryCookie | None"]

#: Content types that are pages: the pixel renders, carried calls are shown, injection happens.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: Statuses whose response has no body to show.
_NO_BODY = frozenset({204, 205, 304})


def is_redirect(status: int, has_location: bool) -> bool:
    """A redirect the browser follows: 3xx (not 304) with a ``Location``."""
    return 300 <= status < 400 and status != 304 and has_location


def is_page(status: int, content_type: str | None, method: str = "GET") -> bool:
    """Whether a response is an HTML page a browser shows: not HEAD, a body, text/html or XHTML."""
    if method == "HEAD" or status < 200 or status in _NO_BODY or 300 <= status < 400:
        return False
    return (content_type or "").split(";", 1)[0].strip().lower() in HTML_TYPES


@dataclass(frozen=True, eq=False)
class Site:
    """Everything the lifecycle needs from a site's settings, validated once at start-up.

    ``config`` is what pages render with (a placeholder that only collects when the pixel is
    disabled without a code); ``enabled=False`` renders nothing and mirrors nothing;
    ``auto_inject`` puts the fragment into HTML pages whose templates did not render it;
    ``nonce`` is the ``NONCE`` setting (else ``request.csp_nonce`` is used, as django-csp and
    flask-talisman set it); ``mirror`` is the one Events API mirror (``None``: no mirroring) and
    ``consent_granted`` the ``CONSENT_GRANTED`` callable; ``script_url`` is where pages load
    ``static/tiktok_pixel.js`` in no-inline mode (default: ``config.runtime_url``).
    """

    config: PixelConfig
    enabled: bool = True
    auto_inject: bool = False
    nonce: NonceFunction | None = field(default=None, repr=False)
    mirror: EventsApiMirror | None = None
    consent_granted: ConsentFunction | None = field(default=None, repr=False)
    script_url: str | None = None

    def begin(
        self,
        request: Any,
        *,
        carrier: CarrierGetter | None = None,
        carried: str | None = None,
        script_url: str | None = None,
    ) -> RequestPixel:
        """The pixel of one request. ``carrier`` gives the carry cookie, called only when it is
        needed (``None``: nothing is carried); ``carried`` is the carry cookie's value as the
        visitor sent it (without it nothing can be waiting); ``script_url`` overrides
        :attr:`script_url` (an app mounted under a prefix)."""
        return RequestPixel(
            self,
            request,
            carrier=carrier,
            carried=carried,
            script_url=script_url or self.script_url,
        )


class RequestPixel:
    """One request's pixel: its collector (``events``) and every lifecycle decision about it."""

    __slots__ = (
        "_carried",
        "_carrier",
        "_done",
        "_failed",
        "_jar",
        "_rendered",
        "_shown",
        "_tagged",
        "_took",
        "_waiting",
        "cookie",
        "events",
        "htmx",
        "request",
        "script_url",
        "site",
        "status",
    )

    def __init__(
        self,
        site: Site,
        request: Any,
        *,
        carrier: CarrierGetter | None = None,
        carried: str | None = None,
        script_url: str | None = None,
    ) -> None:
        self.site = site
        self.request = request
        #: The request's own calls (never the carried ones).
        self.events = PageEvents(site.config)
        self.script_url = script_url
        self._carrier = carrier
        self._jar: CarryCookie | None = None  # what carrier() gave, once asked
        self._waiting = carried or None  # the carry cookie the visitor sent
        #: The ``Set-Cookie`` value the adapter sends with the response (``None``: none).
        self.cookie: str | None = None
        self._rendered = 0  # own calls already on the page
        self._carried: list[Call] | None = None  # carried calls on the page (None: not looked)
        self._took = False  # the page took what was waiting in the carry cookie
        self._shown = False  # a fragment is on the page
        self._tagged = False  # a template rendered the tag
        self._failed = False  # the view raised
        self._done = False  # respond() ran: the headers are settled
        #: Set by the adapter for an htmx request (:func:`tiktok_pixel.htmx.exchange`).
        self.htmx: htmx.Exchange | None = None
        #: The response status, once :meth:`respond` or :meth:`settles_nothing` saw it.
        self.status: int | None = None

    def __repr__(self) -> str:
        return f"<RequestPixel {self.events!r}>"

    def __call__(self, nonce: str | None = None) -> Markup:
        """:meth:`render`: template engines call it (``{{ tiktok_pixel }}`` in Django)."""
        return self.render(nonce)

    def __html__(self) -> str:
        """Printed without a call: nothing. Rendering has effects, so it is never implicit."""
        return ""

    @property
    def failed(self) -> bool:
        """Whether the view raised (see :meth:`fail`)."""
        return self._failed

    def nonce(self) -> str | None:
        """The request's CSP nonce: the ``NONCE`` setting's, else ``request.csp_nonce``."""
        if self.site.nonce is not None:
            value = self.site.nonce(self.request)
        else:
            value = getattr(self.request, "csp_nonce", None)
        # str(): django-csp's nonce is lazy, and reading it is what puts it in the header
        return None if value is None else (str(value) or None)

    def render(self, nonce: str | None = None) -> Markup:
        """The fragment for the tag: carried calls (first tag only) and own calls not yet on the
        page; ``""`` when there is nothing new. Never raises (a failure logs one warning).

        ``nonce`` overrides :meth:`nonce`.
        """
        self._tagged = True
        if not self.site.enabled or self.htmx is not None:  # htmx: the calls go in HX-Trigger
            return Markup("")
        try:
            carried = (
                self._take_carried()
                if self._carried is None and self._waiting is not None
                else None
            )
            own = () if self._failed else self.events.calls[self._rendered :]
            if self._shown and not carried and not own:
                return Markup("")
            if nonce is None:
                nonce = self.nonce()
            calls = [*carried, *own] if carried else own
            html = render_page(self.site.config, calls, nonce=nonce, runtime_url=self.script_url)
        except Exception as exc:  # request-time: never fail the page
            log_render_failure(exc)
            return Markup("")
        if self._carried is None:
            self._carried = carried or []
            self._took = carried is not None
        self._rendered += len(own)
        self._shown = True
        return html

    def _carry_cookie(self) -> CarryCookie | None:
        """The site's carry cookie (asked of the adapter once); ``None``: no secret to sign."""
        if self._jar is None and self._carrier is not None:
            self._jar = self._carrier()
        return self._jar

    def _take_carried(self) -> list[Call] | None:
        """The calls waiting in the carry cookie, if they may be shown now; ``None``: none."""
        if self._failed or self._done or self._waiting is None:
            return None
        jar = self._carry_cookie()
        if jar is None:
            return None
        calls = jar.loads(self._waiting)
        if calls is None:  # refused (one warning): deleted with this response, whatever it is
            self._waiting = None
            self.cookie = jar.deletion
        return calls

    def fail(self) -> None:
        """The view raised and the framework answers with its error page.

        From now on the tag renders none of this request's calls, and none is carried or
        mirrored; calls carried in from earlier requests stay waiting for the next good page.
        """
        self._failed = True

    def settles_nothing(self, status: int) -> bool:
        """Whether :meth:`respond` would leave a response with ``status`` as it is.

        When it would, the request is settled here and the adapter skips gathering what
        :meth:`respond` needs (content type, headers, body): most responses need nothing (no
        redirect with calls to carry, no carried calls shown, no injection, no htmx).
        """
        if self._done:
            return True
        if self.htmx is not None and self.site.enabled and not self._failed:
            return False
        if 300 <= status < 400 and status != 304:
            idle = len(self.events) == self._rendered  # a redirect carries unrendered calls
        else:
            idle = not self._took and (self._tagged or not self.site.auto_inject)
        idle = idle and self.cookie is None  # a carry cookie it refused is deleted
        if idle or self._failed or not self.site.enabled:
            self.status = status
            self._done = True
            return True
        return False

    def respond(
        self,
        *,
        status: int,
        content_type: str | None,
        has_location: bool = False,
        method: str = "GET",
        streaming: bool = False,
        encoded: bool = False,
        body: Callable[[], bytes] | None = None,
        charset: str = "utf-8",
        response_headers: htmx.HeaderGetter | None = None,
    ) -> bytes | None:
        """Settle the response, before its headers are sent; returns a new body, or ``None``.

        A redirect carries the calls not yet rendered in the carry cookie. An HTML page (not
        streamed, not ``Content-Encoding``-encoded, ``body`` given) that has no fragment yet gets
        one before its real ``</head>`` when ``auto_inject`` is on: the new body is returned (the
        adapter sets it, fixes ``Content-Length`` and drops a stale ``ETag``). A page that showed
        carried calls deletes the cookie; any other response leaves them waiting. Afterwards
        :attr:`cookie` is the ``Set-Cookie`` value to send, if any. Never raises.
        """
        self.status = status
        if self._done or not self.site.enabled:
            self._done = True
            return None
        new_body = None
        try:
            if self._failed:
                return None
            if self.htmx is not None:  # htmx: the adapter sends self.htmx.header as HX-Trigger
                if response_headers is not None:
                    self.htmx.read_response(response_headers)
                htmx.settle(self, self.htmx, status=status, has_location=has_location)
                return None
            if is_redirect(status, has_location):
                self._carry()
                return None
            page = is_page(status, content_type, method)
            injectable = not (self._tagged or streaming or encoded)
            if page and injectable and body is not None and self.site.auto_inject:
                new_body = self._inject(body(), charset)
            if page and self._took and self._jar is not None:
                self.cookie = self._jar.deletion  # shown: forget them
        except Exception as exc:  # request-time: never fail the response
            logger.warning("TikTok pixel: response left as it was (%s)", describe_failure(exc))
            new_body = None
        finally:
            self._done = True
        return new_body

    def _inject(self, body: bytes, charset: str) -> bytes | None:
        if has_fragment(body):
            return None
        at = head_end(body)
        if at is None:
            return None
        fragment = str(self.render())
        if not fragment:
            return None
        return body[:at] + fragment.encode(charset) + body[at:]

    def unshown(self) -> list[Call]:
        """The calls not on the page yet: those waiting in the carry cookie (read once) and
        this request's own not rendered; see :meth:`mark_shown`."""
        fresh: list[Call] = []
        if self._carried is None:
            carried = self._take_carried()
            fresh = self._carried = carried or []
            self._took = carried is not None
        return [*fresh, *self.events.calls[self._rendered :]]

    def mark_shown(self) -> None:
        """The calls :meth:`unshown` gave reached the page some other way (an htmx header)."""
        self._rendered = len(self.events.calls)
        self._shown = True
        if self._took and self._jar is not None:
            self.cookie = self._jar.deletion

    def carry(self) -> None:
        """Keep the calls not yet on the page in the carry cookie for the next page."""
        self._carry()

    def _carry(self) -> None:
        """Keep the calls not yet rendered in the carry cookie, after any already waiting."""
        own = self.events.calls[self._rendered :]
        if not own:
            return  # carried calls taken by this redirect's body stay waiting
        jar = self._carry_cookie()
        if jar is None:
            logger.warning(
                "TikTok pixel: %d call(s) of a redirected request were dropped: there is no "
                "secret to sign them with (Flask: set SECRET_KEY; Starlette: pass secret_key to "
                "TikTokPixelMiddleware)",
                len(own),
            )
            return
        self.cookie = jar.header(jar.merged(self._waiting, own))
        self._waiting = None
        self._rendered += len(own)

    def hand_off(self, environ: Mapping[str, Any], *, status: int | None) -> int:
        """Queue this request's own track calls for the Events API mirror; returns how many.

        Nothing for a request that raised, a 5xx or unknown ``status``, no mirror, or a
        disabled pixel. Carried calls were handed off by the request that made them. Never
        raises.
        """
        mirror = self.site.mirror
        if mirror is None or not self.site.enabled or self._failed:
            return 0
        return mirror_request(
            mirror,
            self.events.calls,
            environ,
            request=self.request,
            consent=self.site.consent_granted,
            status=status,
        )
