"""Background seeding of the demo stores for `make run`: one task per store, safe to run again."""

from __future__ import annotations

from typing import Any

from celery import shared_task

ORDERS_PER_TASK = 3


@shared_task(name="demo.tasks.demo_store_seed_task")
def demo_store_seed_task(slug: str, products: int) -> dict[str, Any]:
    """The store's schema and catalog, then its history (`demo_store_history_task`)."""
    from demo.seed import demo_store_seed

    made = demo_store_seed(slug=slug, products=products)
    demo_store_history_task.delay(slug, products)
    return {"store": slug, "products": made}


@shared_task(name="demo.tasks.demo_store_history_task")
def demo_store_history_task(slug: str, products: int) -> dict[str, Any]:
    """A few of the store's 90 days of orders (on the Stripe emulator), then again until all are
    placed: short tasks, so webhooks and the other work queued meanwhile are not kept waiting."""
    from demo.history import store_history_seed

    result = store_history_seed(slug=slug, products=products, limit=ORDERS_PER_TASK)
    if result["left"]:
        demo_store_history_task.delay(slug, products)
    return {"store": slug, **result}
