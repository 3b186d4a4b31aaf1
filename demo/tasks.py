"""Background seeding of the demo stores for `make run`: one task per store, safe to run again."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="demo.tasks.demo_store_seed_task")
def demo_store_seed_task(slug: str, products: int) -> dict[str, Any]:
    """The store's schema and catalog, then (on the Stripe emulator) its 90 days of orders."""
    from demo.history import store_history_seed
    from demo.seed import demo_store_seed

    made = demo_store_seed(slug=slug, products=products)
    return {"store": slug, "products": made, **store_history_seed(slug=slug, products=products)}
