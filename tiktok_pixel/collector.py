"""``PageEvents``: the calls one page will make, collected during a request and rendered once.

Bad tracking data is request-time data: it is coerced or dropped with one logged warning per
call (naming the event and fields, never a PII value) and never raises into the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from .calls import Call, track_call
from .config import PixelConfig
from .event_ids import new_event_id
from .failures import describe_failure
from .fragment import render_page
from .hashing import HASHED_FIELDS, hash_identity
from .params import Problems, to_text
from .pii_policy import PiiError, coerce_and_guard
from .segment import map_event
from .standard_events import similar_standard_event

logger = logging.getLogger(__name__)

#: Event names already checked against the standard ones (bounded: names are the site's own).
_checked: set[str] = set()


def _hint_custom_name(event: str) -> None:
    """Log once per process when a custom event name looks like a standard one.

    Each name is compared once (difflib is slow): later calls with it cost a set lookup.
    """
    if event in _checked or len(_checked) > 1000:
        return
    _checked.add(event)
    suggestion = similar_standard_event(event)
    if suggestion:
        logger.warning(
            "TikTok event %r is not a standard event; did you mean %r? (names are case-sensitive)",
            event,
            suggestion,
        )


def _log_dropped(method: str, exc: Exception) -> None:
    """One warning for a tracking call given up after an unexpected error.

    Bad data is handled inside each call; this is the last line for the unforeseen (a phone
    library error, a broken ``__str__``), so tracking can never fail the page.
    """
    logger.warning(
        "TikTok %s call dropped after an unexpected error (%s)", method, describe_failure(exc)
    )


def _event_id_or_new(event_id: object) -> str:
    """``event_id`` as the call would use it, or a fresh UUID when it is not a usable string."""
    text = to_text(event_id)
    return text.strip() if text is not None and text.strip() else new_event_id()


class PageEvents:
    """Collects ``track`` and ``identify`` calls for one page and renders them.

    >>> page = PageEvents(PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0"))
    >>> event_id = page.track("AddToCart", value=19.99, currency="EUR")
    >>> html = page.render()
    """

    __slots__ = ("_calls", "config")

    def __init__(self, config: PixelConfig, calls: Iterable[Call] = ()) -> None:
        self.config = config
        self._calls: list[Call] = list(calls)

    def __repr__(self) -> str:
        return f"<PageEvents {len(self._calls)} call(s) for {', '.join(self.config.pixel_codes)}>"

    def __len__(self) -> int:
        return len(self._calls)

    @property
    def calls(self) -> tuple[Call, ...]:
        """The queued calls, in the order they were made."""
        return tuple(self._calls)

    def add(self, call: Call) -> None:
        """Queue an already-built call (e.g. one carried across a redirect)."""
        self._calls.append(call)

    def extend(self, calls: Iterable[Call]) -> None:
        """Queue already-built calls, in order."""
        self._calls.extend(calls)

    def clear(self) -> None:
        """Forget every queued call."""
        self._calls.clear()

    def track(
        self,
        event: str,
        *,
        contents: Sequence[Mapping[str, Any]] | None = None,
        value: float | Decimal | str | None = None,
        currency: str | None = None,
        content_type: str | None = None,
        query: str | None = None,
        description: str | None = None,
        order_id: str | None = None,
        shop_id: str | None = None,
        content_ids: str | Sequence[str] | None = None,
        num_items: int | str | None = None,
        search_string: str | None = None,
        event_id: str | None = None,
        **custom: Any,
    ) -> str:
        """Queue ``ttq.track(event, params, {event_id})`` and return its ``event_id``.

        Hashed matching fields passed as custom parameters (``email=…``, ``phone_number=…`` or
        ``phone=…``, ``external_id=…``, names, ``zip_code=…``) are not sent as parameters: they
        are hashed and queued through :meth:`identify`. (``city``/``country`` stay parameters:
        TikTok's travel events use them for the destination.)

        ``event_id`` defaults to a fresh UUID; reuse the returned id for a server-side Events
        API send so TikTok deduplicates the two. An id is returned even when the call is dropped
        (an empty event name, an unexpected error; one warning is logged): the one you passed,
        or a fresh one, so code that forwards it never has to handle ``None``.

        Personal data under any other name, at any depth or in a URL is handled by
        ``config.pii_policy`` (:mod:`tiktok_pixel.pii_policy`); with ``"raise"`` this method
        raises :class:`~tiktok_pixel.PiiError`, the one exception tracking ever raises.
        """
        try:
            name = event.strip() if isinstance(event, str) else ""
            if not name:
                logger.warning(
                    "TikTok track call dropped: the event name must be a non-empty string"
                )
                return _event_id_or_new(event_id)
            if name not in _checked:
                _hint_custom_name(name)
            identity = (
                {key: custom.pop(key) for key in HASHED_FIELDS if key in custom} if custom else {}
            )
            if "phone" in custom:
                identity.setdefault("phone_number", custom.pop("phone"))
            problems = Problems()
            raw = {
                "contents": contents,
                "content_type": content_type,
                "content_ids": content_ids,
                "value": value,
                "currency": currency,
                "num_items": num_items,
                "query": query,
                "search_string": search_string,
                "description": description,
                "order_id": order_id,
                "shop_id": shop_id,
                **custom,
            }
            # Coerced, and personal data under any other name or at any depth hashed, moved or
            # dropped, in one walk over the params.
            params, moved = coerce_and_guard(name, raw, problems, self.config.privacy, identity)
            for key, value in moved.items():
                identity.setdefault(key, value)
            if identity:
                # Matching fields never travel as plain event parameters: they go through
                # identify(), hashed, ahead of this event.
                self.identify(**identity)
            if "value" in params and "currency" not in params and self.config.default_currency:
                params["currency"] = self.config.default_currency
            if event_id is None:
                event_id = new_event_id()
            else:
                text = to_text(event_id)
                if text is None or not text.strip():
                    problems.coerced.append("event_id is not a string; a fresh one was used")
                    text = new_event_id()
                event_id = text.strip()
            if problems:
                logger.warning("TikTok event %r: %s", name, problems.describe())
            self._calls.append(track_call(name, params, event_id))
            return event_id
        except PiiError:  # pii_policy="raise": the site asked for the exception
            raise
        except Exception as exc:
            _log_dropped("track", exc)
            return _event_id_or_new(event_id)

    def identify(
        self,
        *,
        email: str | None = None,
        phone_number: str | None = None,
        external_id: str | int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        city: str | None = None,
        state: str | None = None,
        country: str | None = None,
        zip_code: str | None = None,
    ) -> dict[str, str]:
        """Queue ``ttq.identify`` with each field normalised and hashed here, on the server.

        Returns the fields as they will appear on the page. Invalid values (an email without a
        domain, a number ``phonenumbers`` cannot read) are dropped with a warning that names the
        field only. Nothing is queued if no field is usable.
        """
        try:
            identity = hash_identity(
                {
                    "email": email,
                    "phone_number": phone_number,
                    "external_id": external_id,
                    "first_name": first_name,
                    "last_name": last_name,
                    "city": city,
                    "state": state,
                    "country": country,
                    "zip_code": zip_code,
                },
                default_phone_region=self.config.default_phone_region,
            )
            if identity.dropped:
                logger.warning(
                    "TikTok identify: %s; left out (values withheld)",
                    "; ".join(f"{field} dropped: {reason}" for field, reason in identity.dropped),
                )
            if identity.fields:
                self._calls.append(Call("identify", None, identity.fields))
            return identity.fields
        except PiiError:
            raise
        except Exception as exc:
            _log_dropped("identify", exc)
            return {}

    def segment(self, event: Mapping[str, Any]) -> list[Call]:
        """Queue the TikTok calls a Segment-spec event maps to; returns the calls queued.

        Mapped with ``config.mappings`` (:func:`tiktok_pixel.segment.map_event`). A page/track
        result whose identity has an email, phone number or external id queues
        ``identify(...)`` (hashed here) before its ``track(...)``. Never raises on bad data.
        """
        start = len(self._calls)
        for mapped in map_event(event, self.config):
            if mapped.event is None:
                if any(value is not None for value in mapped.identity.values()):
                    self.identify(**mapped.identity)
                continue
            if mapped.has_match_keys():
                self.identify(**mapped.identity)
            self.track(mapped.event, event_id=mapped.event_id, **mapped.params)
        return self._calls[start:]

    def render(self, *, nonce: str | None = None) -> Markup:
        """The ``<head>`` fragment: loader and this page's calls, as :class:`markupsafe.Markup`.

        With ``config.debug``, the validator's findings for these calls are logged (logger
        ``tiktok_pixel``, one warning each; messages hold no PII) and follow the fragment as a
        JSON data block (:func:`tiktok_pixel.fragment.render_findings`).
        """
        return render_page(self.config, self._calls, nonce=nonce)

    def __html__(self) -> str:
        return str(self.render())
