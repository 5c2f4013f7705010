"""The shop's products, loaded once from ``catalogue.json`` (data, not code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).resolve().parent / "catalogue.json"


@dataclass(frozen=True)
class Product:
    """One product of the demo catalogue; ``colour`` and ``shape`` draw its placeholder picture."""

    id: str
    name: str
    brand: str
    category: str
    price: float
    colour: str
    shape: str
    description: str

    @property
    def category_slug(self) -> str:
        return slug(self.category)


@dataclass(frozen=True)
class Catalogue:
    """All products, in display order, and the shop's currency."""

    currency: str
    products: tuple[Product, ...]

    def get(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(p.category for p in self.products))

    def in_category(self, category_slug: str) -> list[Product]:
        return [p for p in self.products if p.category_slug == category_slug]

    def search(self, query: str) -> list[Product]:
        """Products whose name, brand, category or description contains every word of ``query``."""
        words = query.lower().split()
        if not words:
            return []

        def text(p: Product) -> str:
            return f"{p.name} {p.brand} {p.category} {p.description}".lower()

        return [p for p in self.products if all(w in text(p) for w in words)]


def slug(text: str) -> str:
    return "-".join(text.lower().split())


def _product(item: dict[str, Any]) -> Product:
    return Product(**{**item, "price": float(item["price"])})


@cache
def load_catalogue(path: Path = _DATA) -> Catalogue:
    """The catalogue in ``path`` (read once per process)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    products = tuple(_product(item) for item in data["products"])
    if len({p.id for p in products}) != len(products):
        raise ValueError(f"{path}: product ids must be unique")
    return Catalogue(currency=data["currency"], products=products)
