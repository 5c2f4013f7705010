"""The shop's analytics events, written in the Segment spec (as analytics.js would send them).

The views build these dicts and hand them to ``pixel.segment(...)``; the library's default
mappings turn them into TikTok calls. Keeping the events in the Segment spec is the point of the
demo: a site that already emits them needs no TikTok-specific code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .catalogue import Product


def _base(kind: str, visitor: Mapping[str, str | None]) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "messageId": f"demo-{uuid.uuid4()}"}
    event["anonymousId"] = visitor["anonymous_id"]
    if visitor.get("user_id"):
        event["userId"] = visitor["user_id"]
    return event


def product_properties(product: Product, quantity: int = 1) -> dict[str, Any]:
    """A product in the e-commerce spec's shape (``product_id``, ``sku``, ``name``, …)."""
    return {
        "product_id": product.id,
        "sku": product.id,
        "name": product.name,
        "brand": product.brand,
        "category": product.category,
        "price": product.price,
        "quantity": quantity,
    }


def page(
    visitor: Mapping[str, str | None], name: str, *, path: str, category: str | None = None
) -> dict[str, Any]:
    event = _base("page", visitor)
    event["name"] = name
    event["properties"] = {"name": name, "path": path}
    if category:
        event["category"] = category
        event["properties"]["category"] = category
    return event


def track(
    visitor: Mapping[str, str | None],
    name: str,
    properties: Mapping[str, Any],
    *,
    traits: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    event = _base("track", visitor)
    event["event"] = name
    event["properties"] = dict(properties)
    if traits:
        event["context"] = {"traits": dict(traits)}
    return event


def identify(visitor: Mapping[str, str | None], traits: Mapping[str, Any]) -> dict[str, Any]:
    event = _base("identify", visitor)
    event["traits"] = dict(traits)
    return event


def products_searched(visitor: Mapping[str, str | None], query: str) -> dict[str, Any]:
    return track(visitor, "Products Searched", {"query": query})


def product_added_to_wishlist(
    visitor: Mapping[str, str | None], product: Product, currency: str
) -> dict[str, Any]:
    properties = {
        "wishlist_id": "default",
        **product_properties(product),
        "value": product.price,
        "currency": currency,
    }
    return track(visitor, "Product Added to Wishlist", properties)


def product_added(
    visitor: Mapping[str, str | None],
    product: Product,
    quantity: int,
    currency: str,
    cart_id: str,
) -> dict[str, Any]:
    properties = {
        "cart_id": cart_id,
        **product_properties(product, quantity),
        "value": round(product.price * quantity, 2),
        "currency": currency,
    }
    return track(visitor, "Product Added", properties)


def _lines(lines: Iterable[tuple[Product, int]]) -> list[dict[str, Any]]:
    return [product_properties(product, quantity) for product, quantity in lines]


def checkout_started(
    visitor: Mapping[str, str | None],
    lines: list[tuple[Product, int]],
    *,
    value: float,
    currency: str,
    checkout_id: str,
) -> dict[str, Any]:
    properties = {
        "checkout_id": checkout_id,
        "value": value,
        "currency": currency,
        "num_items": sum(quantity for _, quantity in lines),
        "products": _lines(lines),
    }
    return track(visitor, "Checkout Started", properties)


def payment_info_entered(
    visitor: Mapping[str, str | None],
    lines: list[tuple[Product, int]],
    *,
    value: float,
    currency: str,
    checkout_id: str,
    payment_method: str,
) -> dict[str, Any]:
    properties = {
        "checkout_id": checkout_id,
        "payment_method": payment_method,
        "value": value,
        "currency": currency,
        "products": _lines(lines),
    }
    return track(visitor, "Payment Info Entered", properties)


def order_completed(
    visitor: Mapping[str, str | None],
    lines: list[tuple[Product, int]],
    *,
    order_id: str,
    revenue: float,
    shipping: float,
    currency: str,
    traits: Mapping[str, Any],
) -> dict[str, Any]:
    properties = {
        "order_id": order_id,
        "total": round(revenue + shipping, 2),
        "revenue": revenue,
        "shipping": shipping,
        "currency": currency,
        "products": _lines(lines),
    }
    return track(visitor, "Order Completed", properties, traits=traits)
