"""Stock of variants and its history."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import InvalidStockAdjustment
from catalog.models import (
    StockAdjustment,
    Variant,
)
from catalog.services.outbox import outbox_write
from catalog.services.validation import _user_fields


@transaction.atomic
def stock_adjust(*, variant: Variant, delta: int, reason: str, note: str = "", user: Any = None) -> StockAdjustment:
    """Change stock by `delta` (never below zero) and record why and who."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > 10**9:
        raise InvalidStockAdjustment(_("The change must be a non-zero whole number."), fields={"delta": ["invalid"]})
    if reason not in StockAdjustment.Reason.values:
        raise InvalidStockAdjustment(_("Unknown reason."), fields={"reason": ["invalid"]})
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.stock + delta < 0:
        raise InvalidStockAdjustment(
            _("Stock is %(stock)s; it cannot go below zero.") % {"stock": variant.stock}, fields={"delta": ["below_zero"]}
        )
    variant.stock += delta
    variant.save(update_fields=["stock", "updated_at"])
    adjustment = StockAdjustment.objects.create(
        variant=variant, delta=delta, stock_after=variant.stock, reason=reason, note=(note or "")[:200],
        **_user_fields(user),
    )
    outbox_write(product_id=variant.product_id)
    return adjustment
