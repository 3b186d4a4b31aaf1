"""The cart priced now (tax, shipping, commission), with every problem the buyer must see."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.money import format_money_localized
from orders.commission import commission_for_cart
from orders.errors import (
    OutOfStock,
    PriceChanged,
    ProductUnavailable,
    TaxDestinationUnsupported,
    TaxServiceUnavailable,
    VendorNotSelling,
)
from orders.models import Cart, CartItem, ShippingRate
from orders.pricing import LineInput, PricedCart, cart_price
from orders.services.cart import _items_by_vendor
from orders.services.variants import VariantState, variant_states
from orders.shipping import ShippingOption, shipping_options
from orders.tax import TaxLine, TaxQuote, TaxResult, tax_calculator
from vendors.models import Vendor

logger = logging.getLogger(__name__)


@dataclass
class ItemNotice:
    item_id: int
    code: str
    message: str


@dataclass
class CartReview:
    cart: Cart | None
    items: list[CartItem]
    states: dict[int, VariantState]
    vendors: dict[int, Vendor]
    priced: PricedCart | None
    notices: list[ItemNotice] = field(default_factory=list)
    # The tax engine refused the destination or did not answer: shown, and checkout is refused.
    tax_error: ApplicationError | None = None

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def can_checkout(self) -> bool:
        # A tax refusal does not block the way to checkout: the buyer may pick another address there.
        return bool(self.items) and not self.blocking and self.priced is not None and self.priced.shipping_complete

    @property
    def blocking(self) -> list[ItemNotice]:
        return [notice for notice in self.notices if notice.code != "price_changed"]

    def notices_for(self, item_id: int) -> list[ItemNotice]:
        return [notice for notice in self.notices if notice.item_id == item_id]

    @property
    def vendor_groups(self) -> list[dict[str, Any]]:
        """For pages: per vendor, its items with current state, notices and priced line."""
        priced = {g.vendor_id: g for g in self.priced.groups} if self.priced else {}
        groups: list[dict[str, Any]] = []
        for vendor_id, group in priced.items():
            rows = []
            for line in group.lines:
                item = next(i for i in self.items if str(i.pk) == line.source.key)
                state = self.states.get(item.pk)
                rows.append({"item": item, "line": line, "state": state, "notices": self.notices_for(item.pk),
                             # Part of it sold on backorder or pre-order: when it ships.
                             "beyond_stock": state is not None and state.beyond_stock(item.quantity),
                             "ships_from": state.ships_from(item.quantity) if state is not None else None})
            groups.append({"vendor": self.vendors[vendor_id], "group": group, "rows": rows})
        return groups


def cart_review(
    *, cart: Cart | None, country: str = "", region: str = "",
    shipping_choice: dict[int, int | None] | None = None, buyer_vat_id: str = "",
) -> CartReview:
    items = list(cart.items.select_related("vendor__store")) if cart is not None else []
    states: dict[int, VariantState] = {}
    vendors: dict[int, Vendor] = {}
    notices: list[ItemNotice] = []
    for vendor, vendor_items in _items_by_vendor(items).items():
        vendors[vendor.pk] = vendor
        if vendor.store is None:
            continue
        found = variant_states(vendor=vendor, variant_ids=[item.variant_id for item in vendor_items])
        for item in vendor_items:
            state = found.get(item.variant_id)
            if state is not None:
                states[item.pk] = state
            if not vendor.is_selling:
                notices.append(ItemNotice(item.pk, VendorNotSelling.code, _("%(vendor)s is not selling at the moment; remove this item to continue.") % {"vendor": vendor.name}))
            elif state is None or not state.active:
                notices.append(ItemNotice(item.pk, ProductUnavailable.code, _("This product is no longer available; remove it to continue.")))
            elif state.stock < item.quantity:
                notices.append(ItemNotice(item.pk, OutOfStock.code, _("Only %(stock)s left; lower the quantity to continue.") % {"stock": max(state.stock, 0)}))
            elif state.price != item.unit_price_amount:
                notices.append(ItemNotice(item.pk, PriceChanged.code, _("The price changed from %(old)s to %(new)s.") % {
                    "old": _fmt(item.unit_price_amount, item.currency), "new": _fmt(state.price, state.currency)}))
    priced = None
    tax_error: ApplicationError | None = None
    if items:
        try:
            priced = _price(items=items, states=states, vendors=vendors, country=country, region=region,
                            shipping_choice=shipping_choice or {}, buyer_vat_id=buyer_vat_id)
        except (TaxDestinationUnsupported, TaxServiceUnavailable) as exc:
            # The cart still shows its lines (without tax) and the reason; checkout refuses it.
            tax_error = exc
            priced = _price(items=items, states=states, vendors=vendors, country=country, region=region,
                            shipping_choice=shipping_choice or {}, untaxed=True)
    return CartReview(cart, items, states, vendors, priced, notices, tax_error)


class _Untaxed:
    """Stands in for the tax engine once it has refused: lines priced, no tax claimed."""

    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote:
        return TaxQuote(inclusive=False, lines=[TaxResult(line.key, 0, 0) for line in lines])


def _fmt(amount: int, currency: str) -> str:
    return format_money_localized(amount, currency)


def _price(*, items: list[CartItem], states: dict[int, VariantState], vendors: dict[int, Vendor],
           country: str, region: str, shipping_choice: dict[int, int | None], buyer_vat_id: str = "",
           untaxed: bool = False) -> PricedCart:
    currency = items[0].currency
    rates: dict[int, list[ShippingRate]] = defaultdict(list)
    for rate in ShippingRate.objects.filter(vendor_id__in=list(vendors)):
        rates[rate.vendor_id].append(rate)

    def options_for(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
        return shipping_options(rates=rates[vendor_id], currency=currency, country=country,
                                subtotal=subtotal, weight_grams=weight)

    lines = []
    for item in items:
        state = states.get(item.pk)
        lines.append(LineInput(
            key=str(item.pk), vendor_id=item.vendor_id, product_id=item.product_id,
            variant_id=item.variant_id, sku=item.sku, name=state.name if state else item.name,
            quantity=item.quantity, unit_price=state.price if state else item.unit_price_amount,
            weight_grams=state.weight_grams if state else item.weight_grams,
            tax_category=state.tax_category if state else "standard",
            category_id=state.category_id if state else None,
            seller_country=vendors[item.vendor_id].country if item.vendor_id in vendors else "",
        ))
    return cart_price(
        currency=currency, lines=lines, country=country, region=region,
        shipping_choice=shipping_choice, options_for=options_for,
        commission_for=commission_for_cart({line.category_id for line in lines if line.category_id},
                                      {line.vendor_id for line in lines}),
        tax=_Untaxed() if untaxed else tax_calculator(), buyer_vat_id=buyer_vat_id,
    )
