"""Catalog lookups: price and availability of a SKU."""

from __future__ import annotations

from typing import Any

PRODUCTS: dict[str, dict[str, Any]] = {
    "SKU-1": {"name": "Espresso beans 1 kg", "price_cents": 2490, "in_stock": True},
    "SKU-2": {"name": "Milk frother", "price_cents": 3999, "in_stock": True},
    "SKU-3": {"name": "Grinder burr set", "price_cents": 5900, "in_stock": False},
}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return one product by ``sku``, or ``{"error": "not_found"}``."""
    sku = str(event.get("sku", ""))
    product = PRODUCTS.get(sku)
    if product is None:
        return {"sku": sku, "error": "not_found"}
    return {"sku": sku, **product}
