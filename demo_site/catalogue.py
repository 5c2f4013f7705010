"""The shop's products, loaded once from ``catalogue.json`` (data, not code).

``DEMO_CATALOGUE`` (see :func:`catalogue_from_setting`) swaps in another catalogue of the same
shape, from a JSON file or a mapping: tests use it to serve hostile product names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from os import PathLike
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


_FIELDS = ("id", "name", "brand", "category", "price", "colour", "shape", "description")


def _product(item: Any, source: str) -> Product:
    if not isinstance(item, Mapping) or set(item) != set(_FIELDS):
        raise ValueError(f"{source}: each product needs exactly the fields {', '.join(_FIELDS)}")
    if not all(isinstance(item[k], str) for k in _FIELDS if k != "price"):
        raise ValueError(f"{source}: product fields other than price must be strings")
    return Product(**{**item, "price": float(item["price"])})


def catalogue_from_data(data: Mapping[str, Any], source: str = "catalogue") -> Catalogue:
    """A catalogue from ``{"currency": "EUR", "products": [{"id": …, "name": …}, …]}``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("products"), list):
        raise ValueError(f'{source}: expected {{"currency": …, "products": [...]}}')
    if not isinstance(data.get("currency"), str):
        raise ValueError(f"{source}: currency must be a string like 'EUR'")
    products = tuple(_product(item, source) for item in data["products"])
    if len({p.id for p in products}) != len(products):
        raise ValueError(f"{source}: product ids must be unique")
    return Catalogue(currency=data["currency"], products=products)


@cache
def load_catalogue(path: Path = _DATA) -> Catalogue:
    """The catalogue in ``path`` (read once per process)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return catalogue_from_data(data, source=str(path))


def catalogue_from_setting(setting: str | PathLike[str] | Mapping[str, Any] | None) -> Catalogue:
    """The ``DEMO_CATALOGUE`` setting: ``None`` for the bundled ``catalogue.json``, a path to a
    JSON file of the same shape, or that shape as a mapping. A bad value fails at start-up."""
    if setting is None:
        return load_catalogue()
    if isinstance(setting, Mapping):
        return catalogue_from_data(setting, source="DEMO_CATALOGUE")
    if isinstance(setting, (str, PathLike)):
        return load_catalogue(Path(setting).resolve())
    raise ValueError(
        f"DEMO_CATALOGUE must be a path to a JSON file or a mapping, not {type(setting).__name__}"
    )
