"""Demo catalog for `make run`: products with variants, categories and attributes (idempotent)."""

from __future__ import annotations

from typing import Any

from catalog.models import Product, Variant
from catalog.services import product_create

# sku → (category path, option type, [(suffix, option value, price delta)], attributes)
DEMO_DETAILS: dict[str, tuple[str, str, list[tuple[str, str, int]], dict[str, str]]] = {
    "ACME-BP30": ("outdoor/backpacks", "colour", [("GRN", "green", 0), ("BLK", "black", 0)], {"volume": "30 l"}),
    "ACME-SOCK": ("outdoor/clothing/socks", "size", [("S", "S", 0), ("M", "M", 0), ("L", "L", 200)],
                  {"material": "merino wool"}),
    "ACME-POLE": ("outdoor/hiking-gear", "", [], {"material": "aluminium"}),
    "GLX-SKILLET": ("kitchen/cookware", "size", [("24", "24 cm", -1000), ("28", "28 cm", 0)], {"material": "cast iron"}),
    "GLX-KNIFE": ("kitchen/knives", "", [], {"material": "steel"}),
    "GLX-CUPS": ("kitchen/tableware", "colour", [("WHT", "white", 0), ("BLU", "blue", 0)], {"material": "porcelain"}),
    "INI-LAMP": ("office/lighting", "", [], {"material": "aluminium"}),
    "INI-STAPLER": ("office/supplies", "colour", [("RED", "red", 0)], {}),
}


def demo_catalog_seed(*, products: list[tuple[str, str, int, int]], currency: str) -> None:
    """Create each demo product once (matched by its base SKU), with variants where it has options."""
    from marketplace.models import Category

    categories = dict(Category.objects.values_list("path", "pk"))
    for name, sku, price, stock in products:
        if Product.objects.filter(variants__sku__startswith=sku).exists() or Variant.objects.filter(sku=sku).exists():
            continue
        path, option, variants, attributes = DEMO_DETAILS.get(sku, ("", "", [], {}))
        specs: list[dict[str, Any]]
        if variants:
            specs = [{"sku": f"{sku}-{suffix}", "price_amount": price + delta, "currency": currency,
                      "stock": stock, "options": {option: value}} for suffix, value, delta in variants]
        else:
            specs = [{"sku": sku, "price_amount": price, "currency": currency, "stock": stock}]
        product_create(
            name=name, status=Product.Status.ACTIVE, category_id=categories.get(path),
            option_types=[option] if option else [], attributes=attributes, variants=specs,
            description=f"<p>{name} from the demo catalog.</p>",
        )
