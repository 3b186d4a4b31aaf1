"""Demo taxonomy for `make run` (idempotent)."""

from __future__ import annotations

from marketplace.models import Category
from marketplace.services import category_create

DEMO_CATEGORIES = [
    ("Outdoor", [("Backpacks", []), ("Clothing", [("Socks", [])]), ("Hiking gear", [])]),
    ("Kitchen", [("Cookware", []), ("Knives", []), ("Tableware", [])]),
    ("Office", [("Lighting", []), ("Supplies", [])]),
]


def demo_categories_seed() -> None:
    def add(nodes: list, parent: Category | None) -> None:  # type: ignore[type-arg]
        for name, children in nodes:
            from django.utils.text import slugify

            path = f"{parent.path}/{slugify(name)}" if parent else slugify(name)
            category = Category.objects.filter(path=path).first() or category_create(name=name, parent=parent)
            add(children, category)

    add(DEMO_CATEGORIES, None)
