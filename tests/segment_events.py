"""Segment-spec events for the tests, written from Segment's public "Spec: V2 Ecommerce Events"
page (the example ``analytics.track`` calls), wrapped in the message envelope a source sends."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

EMAIL = "Ann.Lee@Example.com"
PHONE = "+44 7700 900123"
USER_ID = "user-42"

#: What the identify call of every event with CONTEXT carries, hashed.
IDENTIFY = {
    "email": hashlib.sha256(b"ann.lee@example.com").hexdigest(),
    "phone_number": hashlib.sha256(b"+447700900123").hexdigest(),
    "external_id": hashlib.sha256(USER_ID.encode()).hexdigest(),
}

CONTEXT = {"traits": {"email": EMAIL, "phone": PHONE}, "page": {"path": "/"}}

MONOPOLY = {
    "product_id": "507f1f77bcf86cd799439011",
    "sku": "G-32",
    "category": "Games",
    "name": "Monopoly: 3rd Edition",
    "brand": "Hasbro",
    "variant": "200 pieces",
    "price": 18.99,
    "quantity": 1,
    "coupon": "MAYDEALS",
    "position": 3,
    "url": "https://www.example.com/product/path",
    "image_url": "https://www.example.com/product/path.jpg",
}
#: ``contents[0]`` for the single-product events above.
MONOPOLY_ITEM = {
    "price": 18.99,
    "quantity": 1,
    "content_category": "Games",
    "content_id": "507f1f77bcf86cd799439011",
    "content_name": "Monopoly: 3rd Edition",
    "brand": "Hasbro",
}

ORDER_PRODUCTS = [
    {
        "product_id": "507f1f77bcf86cd799439011",
        "sku": "45790-32",
        "name": "Monopoly: 3rd Edition",
        "price": 19,
        "quantity": 1,
        "category": "Games",
        "url": "https://www.example.com/product/path",
        "image_url": "https://www.example.com/product/path.jpg",
    },
    {
        "product_id": "505bd76785ebb509fc183733",
        "sku": "46493-32",
        "name": "Uno Card Game",
        "price": 3,
        "quantity": 2,
        "category": "Games",
    },
]
ORDER_CONTENTS = [
    {
        "price": 19,
        "quantity": 1,
        "content_category": "Games",
        "content_id": "507f1f77bcf86cd799439011",
        "content_name": "Monopoly: 3rd Edition",
    },
    {
        "price": 3,
        "quantity": 2,
        "content_category": "Games",
        "content_id": "505bd76785ebb509fc183733",
        "content_name": "Uno Card Game",
    },
]

ORDER_COMPLETED = {
    "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
    "order_id": "50314b8e9bcf000000000000",
    "affiliation": "Google Store",
    "total": 27.50,
    "subtotal": 22.50,
    "revenue": 25.00,
    "shipping": 3,
    "tax": 2,
    "discount": 2.5,
    "coupon": "hasbros",
    "currency": "USD",
    "products": ORDER_PRODUCTS,
}

#: properties of each spec event, by Segment event name ("page" for the page call).
SPEC_PROPERTIES: dict[str, dict[str, Any]] = {
    "page": {
        "name": "Home",
        "path": "/",
        "url": "https://www.example.com/",
        "title": "Welcome | Initech",
    },
    "Products Searched": {"query": "blue roses"},
    "Product Added to Wishlist": {
        "wishlist_id": "skdjsidjsdkdj29j",
        "wishlist_name": "Loved Games",
        **MONOPOLY,
    },
    "Product Added": {"cart_id": "skdjsidjsdkdj29j", **MONOPOLY},
    "Product Viewed": {**MONOPOLY, "currency": "usd", "value": 18.99},
    "Product Clicked": MONOPOLY,
    "Checkout Started": {
        "order_id": "50314b8e9bcf000000000000",
        "affiliation": "Google Store",
        "value": 30,
        "revenue": 25.00,
        "shipping": 3,
        "tax": 2,
        "discount": 2.5,
        "coupon": "hasbros",
        "currency": "USD",
        "products": ORDER_PRODUCTS,
    },
    "Payment Info Entered": {
        "checkout_id": "39f39fj39f3jf93fj9fj39fj3f",
        "order_id": "dkfsjidfjsdifsdfksdjfkdsfjsdfkdsf",
    },
    "Order Completed": ORDER_COMPLETED,
    # Not in the e-commerce spec: the shape a shop sends for an order placed before payment.
    "Order Placed": {**ORDER_COMPLETED, "checkout_id": "ck-7"},
    # Segment's B2B SaaS and lead spec events (name-only in the destination's presets).
    "Callback Started": {"method": "phone", "preferred_time": "evening"},
    "Subscription Created": {"plan": "pro", "value": 12, "currency": "EUR"},
    "Form Submitted": {"form_id": "contact-us", "form_name": "Contact us"},
    "Download Link Clicked": {"file": "brochure.pdf", "description": "Brochure"},
    "Signed Up": {"type": "organic", "first_name": "Ann", "last_name": "Lee"},
}


def spec_event(name: str, **extra: Any) -> dict[str, Any]:
    """The message for spec event ``name`` ("page" for a page call), with context traits."""
    message: dict[str, Any] = {
        "type": "page" if name == "page" else "track",
        "messageId": f"msg-{name.lower().replace(' ', '-')}",
        "timestamp": "2025-05-11T10:00:00.000Z",
        "userId": USER_ID,
        "anonymousId": "anon-507f191e810c19729de860ea",
        "properties": copy.deepcopy(SPEC_PROPERTIES[name]),
        "context": copy.deepcopy(CONTEXT),
    }
    if name == "page":
        message["name"] = "Home"
    else:
        message["event"] = name
    message.update(extra)
    return message
