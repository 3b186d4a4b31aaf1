"""Factories for payouts: a sub-order's Transfer, created by the service the paid-order task runs."""

from __future__ import annotations

from typing import Any

import factory

from payouts.models import Transfer


class TransferFactory(factory.Factory):
    """The Transfer of a paid `sub_order` (pending or held by the vendor's policy), via `transfers_create_for_order`."""

    class Meta:
        model = Transfer

    sub_order: Any = None

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        from payouts.transfers import transfers_create_for_order

        sub = kwargs["sub_order"]
        created = {t.sub_order_id: t for t in transfers_create_for_order(order_id=sub.order_id)}
        if sub.pk not in created:
            raise ValueError(f"sub-order {sub.pk} gets no transfer: its order is not paid")
        return created[sub.pk]
