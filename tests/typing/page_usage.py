"""``PageEvents``: collecting a page's calls the way a view does."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from tiktok_pixel import Call, PageEvents, PixelConfig, map_event

config = PixelConfig(pixel_codes="C3MV4QR3G487IS97GFI0")
page = PageEvents(config)

# identify: keyword fields; an int external id; returns the hashed fields.
hashed: dict[str, str] = page.identify(email="ann@example.com", external_id=42)

# track returns the event id, always a str (README: send it through the Events API too).
event_id: str = page.track("AddToCart", value=25, currency="EUR")
page.track("Purchase", value=Decimal("19.99"), currency="EUR", event_id=event_id)
page.track("AddToCart", value="19.99", num_items=2, content_ids=["sku-1", "sku-2"])
page.track("ViewContent", contents=[{"content_id": "sku-1", "price": 12.5, "quantity": 1}])

# Params held in any mapping (a dict from a form, a read-only view) pass through **.
params: Mapping[str, Any] = {"value": 25, "currency": "EUR", "order_id": "o-1"}
page.track("PlaceAnOrder", **params)
line_items: list[Mapping[str, object]] = [{"content_id": "sku-1", "quantity": 2}]
page.track("AddToCart", contents=line_items)

# Segment-spec events, as JSON gives them.
segment_event: Mapping[str, Any] = {"type": "track", "event": "Product Added"}
queued: list[Call] = page.segment(segment_event)
mapped_names = [mapped.event for mapped in map_event(segment_event, config)]

# Rendering returns Markup for <head>.
html: Markup = page.render(nonce="r4nd0m")
text: str = page.render()
calls: tuple[Call, ...] = page.calls

# Misuses that must stay errors.
page.track("AddToCart", value=[25])  # type: ignore[arg-type]
page.track(event="AddToCart", contents="sku-1")  # type: ignore[arg-type]
page.identify(mail="ann@example.com")  # type: ignore[call-arg]
page.identify("ann@example.com")  # type: ignore[call-arg]
page.render("r4nd0m")  # type: ignore[call-arg]
maybe: None = page.track("Lead")  # type: ignore[assignment]
