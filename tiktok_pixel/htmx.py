"""htmx requests: their calls travel in the ``HX-Trigger`` response header, not in the body.

An htmx request (``HX-Request: true``) is answered with a fragment that htmx swaps into the page
already showing; it has no ``<head>``, and htmx never runs a ``<head>`` it swaps (``hx-boost``)
nor, with ``htmx.config.allowScriptTags = false``, a script in the fragment. So in an htmx
request the tag renders nothing, and the request's calls (plus any waiting in the carry cookie
from a redirect) go in the response header

    HX-Trigger: {"tiktok-pixel": {"calls": [[method, ...args], ...]}}

htmx fires that as the DOM event ``tiktok-pixel`` (``detail.calls``), and the listener in our
runtime, installed by the base page's tag, replays the calls on ``ttq`` (to every pixel). No
script is added to the page, so a strict nonce CSP holds. Rules:

- a boosted request (``HX-Boosted: true``: a link or form navigation htmx swaps in) or a history
  restore (``HX-History-Restore-Request: true``) is a page view: ``["page"]`` goes first, unless
  ``auto_page_view`` is off;
- an answer that navigates (a 3xx redirect, ``HX-Redirect``, ``HX-Location``,
  ``HX-Refresh: true``) carries the calls in the carry cookie to the next page, as any redirect
  does;
- an ``HX-Trigger`` the app set is kept: a JSON object gains our key, a list of event names
  becomes an object of them;
- the header value is JSON with every non-ASCII character escaped, so it is always a valid
  header; it holds only what the collector queued (identify fields hashed, never raw PII);
- above :data:`MAX_HEADER_BYTES`, or when the app's ``HX-Trigger`` is not something htmx can
  read, the calls wait in the carry cookie for the next page instead (one logged warning).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calls import Call
from .fragment import page_order

if TYPE_CHECKING:
    from .lifecycle import RequestPixel

__all__ = ["EVENT", "MAX_HEADER_BYTES", "Exchange", "exchange", "settle", "trigger_value"]

logger = logging.getLogger(__name__)

#: The DOM event htmx fires for our key of ``HX-Trigger``; the runtime listens for it.
EVENT = "tiktok-pixel"

#: Largest ``HX-Trigger`` value we send. Proxies refuse large response headers: nginx's
#: ``proxy_buffer_size`` (all headers of a response) is 4 KB or 8 KB by default. About 15
#: typical track calls fit in 4000 bytes; a page that queues more in one htmx request gets
#: them on the next full page instead.
MAX_HEADER_BYTES = 4000

#: Gives a header's value by name (case-insensitive), or ``None``: ``request.headers.get``.
HeaderGetter = Callable[[str], "str | None"]


@dataclass(slots=True)
class Exchange:
    """One htmx request/response pair, as far as the pixel cares.

    The adapter creates it from the request's headers (:func:`exchange`), tells it the
    response's headers (:meth:`read_response`) before ``RequestPixel.respond``, and afterwards
    sets ``HX-Trigger`` to :attr:`header` when that is not ``None``.
    """

    #: A page view: a boosted navigation or a history restore.
    boosted: bool = False
    #: The app's own ``HX-Trigger`` value, if any.
    trigger: str | None = None
    #: The response sends the browser elsewhere (``HX-Redirect``, ``HX-Location``, ``HX-Refresh``).
    navigates: bool = False
    #: Set by :func:`settle`: the ``HX-Trigger`` value to send (``None``: leave the header alone).
    header: str | None = None

    def read_response(self, header: HeaderGetter) -> None:
        """Note the response headers that decide where the calls go."""
        self.trigger = header("HX-Trigger")
        refresh = (header("HX-Refresh") or "").strip().lower() == "true"
        self.navigates = bool(header("HX-Redirect") or header("HX-Location") or refresh)


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def exchange(header: HeaderGetter) -> Exchange | None:
    """The htmx exchange of a request, from its headers; ``None`` when it is no htmx request."""
    if not _true(header("HX-Request")):
        return None
    # a history restore (back button, page not in htmx's cache) swaps in a whole page too
    navigation = _true(header("HX-Boosted")) or _true(header("HX-History-Restore-Request"))
    return Exchange(boosted=navigation)


def _merge_base(existing: str | None) -> dict[str, Any] | None:
    """The app's ``HX-Trigger`` as a JSON object we can add to; ``None`` if htmx cannot read it."""
    if existing is None or not existing.strip():
        return {}
    text = existing.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    # a comma-separated list of event names, which htmx fires with no detail
    return {name.strip(): {} for name in text.split(",") if name.strip()}


def trigger_value(existing: str | None, calls: Sequence[Call]) -> str | None:
    """The ``HX-Trigger`` value that fires :data:`EVENT` with ``calls`` besides ``existing``.

    ``None`` when it would exceed :data:`MAX_HEADER_BYTES` or ``existing`` is not a value htmx
    reads (then the caller keeps the calls for the next page).
    """
    merged = _merge_base(existing)
    if merged is None:
        return None
    merged[EVENT] = {"calls": [call.args() for call in calls]}
    value = json.dumps(merged, ensure_ascii=True, separators=(",", ":"), default=str)
    return value if len(value) <= MAX_HEADER_BYTES else None


def settle(pixel: RequestPixel, ex: Exchange, *, status: int, has_location: bool) -> None:
    """Decide where the calls of an htmx request go: ``ex.header``, or the carry cookie.

    Called by ``RequestPixel.respond`` in place of its page rules.
    """
    if ex.navigates or (300 <= status < 400 and status != 304 and has_location):
        pixel.carry()
        return
    calls = page_order(pixel.unshown())  # identify first, as on a page
    config = pixel.site.config
    if ex.boosted and config.auto_page_view:
        calls = [Call("page"), *calls]
    if not calls:
        return
    value = trigger_value(ex.trigger, calls)
    if value is None:
        logger.warning(
            "TikTok pixel: the calls of an htmx request did not fit in its HX-Trigger header "
            "(at most %d bytes, merged with the app's); they wait for the next page",
            MAX_HEADER_BYTES,
        )
        pixel.carry()
        return
    pixel.mark_shown()
    ex.header = value
