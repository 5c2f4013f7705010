"""Server-side state the shop must not put in its cookie: contact details typed at checkout.

Flask's session cookie is signed, not encrypted, so an email in it would travel in clear. The demo
keeps contact details in process memory instead, bounded, keyed by a random checkout id.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    name: str


class ContactBook:
    """A bounded, thread-safe map from checkout id to :class:`Contact` (oldest dropped first)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._items: OrderedDict[str, Contact] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: str, contact: Contact) -> None:
        with self._lock:
            self._items[key] = contact
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def get(self, key: str | None) -> Contact | None:
        if not key:
            return None
        with self._lock:
            return self._items.get(key)

    def pop(self, key: str | None) -> Contact | None:
        if not key:
            return None
        with self._lock:
            return self._items.pop(key, None)


def mask_email(email: str) -> str:
    """``ann@example.com`` -> ``a••@example.com``: enough to recognise, not the address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}"


def mask_phone(phone: str) -> str:
    """Only the last three digits of a phone number."""
    digits = [c for c in phone if c.isdigit()]
    return "•••• ••" + "".join(digits[-3:])
