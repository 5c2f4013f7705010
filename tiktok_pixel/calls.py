"""``Call``: one ``ttq`` call a page will make, as data.

Calls are what the collector queues, what the renderer serialises, what the carry cookie carries
across a redirect and what ``tiktok_pixel.testing`` reads back from a page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Call:
    """A ``ttq`` call: ``track`` (event, params, event_id), ``identify`` (params) or another method.

    ``pixel_code`` is set when the call is read back from a page with several pixels, where each
    call goes to one pixel through ``ttq.instance(code)``.
    """

    method: str
    event: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    event_id: str | None = None
    pixel_code: str | None = None

    def args(self) -> list[Any]:
        """``[method, *arguments]`` exactly as the runtime applies it to ``ttq``."""
        if self.method == "track":
            return ["track", self.event, self.params, {"event_id": self.event_id}]
        if self.method == "identify":
            return ["identify", self.params]
        return [self.method, *([self.event] if self.event is not None else [])]

    def key(self) -> tuple[str, str | None, str | None, str]:
        """A hashable key equal for calls that do the same thing on a page (any pixel).

        Lets a page drop repeated calls in linear time (``params`` is a dict, so a ``Call`` is
        not hashable itself). ``pixel_code`` is left out: the same call sent to two pixels is
        one call.
        """
        try:
            params = json.dumps(self.params, sort_keys=True, default=repr)
        except (TypeError, ValueError):  # keys of mixed types, a cycle: still a stable text
            params = repr(self.params)
        # A page read back may hold any JSON value where a name belongs: keep the key hashable.
        event = self.event if isinstance(self.event, str | None) else repr(self.event)
        event_id = self.event_id if isinstance(self.event_id, str | None) else repr(self.event_id)
        return (self.method, event, event_id, params)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the carry cookie or a JSON report)."""
        data: dict[str, Any] = {"method": self.method, "params": self.params}
        for key in ("event", "event_id", "pixel_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_dict(cls, data: object) -> Call:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on a malformed dict."""
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            raise ValueError("a call needs a 'method' string")
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise ValueError("a call's 'params' must be an object")
        return cls(
            method=data["method"],
            event=data.get("event"),
            params=params,
            event_id=data.get("event_id"),
            pixel_code=data.get("pixel_code"),
        )


_new = object.__new__
_set_method, _set_event, _set_params, _set_event_id, _set_pixel_code = (
    Call.__dict__[name].__set__ for name in ("method", "event", "params", "event_id", "pixel_code")
)


def track_call(event: str, params: dict[str, Any], event_id: str) -> Call:
    """``Call("track", event, params, event_id)``, built the way a collector needs on every call.

    Equal to the dataclass constructor's result; it sets the slots directly instead of going
    through the frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field), which
    costs more than twice as much.
    """
    call = _new(Call)
    _set_method(call, "track")
    _set_event(call, event)
    _set_params(call, params)
    _set_event_id(call, event_id)
    _set_pixel_code(call, None)
    return call
