"""The cart priced now (tax, shipping, commission), with every problem the buyer must see."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as country_names

from common.exceptions import ApplicationError
from common.money import convert, format_money_localized
from orders.commission import commission_for_cart
from orders.currency import FxRate, currency_check, rate_for
from orders.discounts import CodeState, discount_code_state, discounts_for_cart
from orders.errors import (
    ExchangeRateMissing,
    OutOfStock,
    PriceChanged,
    ProductUnavailable,
    TaxDestinationUnsupported,
    TaxServiceUnavailable,
    VendorNotSelling,
)
from orders.models import Cart, CartItem
from orders.pricing import DiscountFn, LineInput, PricedCart, cart_price
from orders.services.cart import _items_by_vendor
from orders.services.variants import VariantState, variant_states
from orders.shipping import ShippingOption, VendorShipping, shipping_options, zone_for
from orders.shipping_port import shipping_tables
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
    # The rate used for each vendor currency other than the presentment one (snapshotted at checkout).
    rates: dict[str, FxRate] = field(default_factory=dict)
    # No rate for one of the cart's currencies within the limit: not priced, checkout refused.
    fx_error: ApplicationError | None = None
    # Per vendor whose part has no shipping option: why, naming the vendor and its items.
    shipping_problems: dict[int, str] = field(default_factory=dict)
    # The discount code on the cart: what it took off, or why it takes nothing (docs/adr/0094).
    code: CodeState | None = None

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

    def currency_of(self, vendor_id: int) -> str:
        """The currency this vendor's items are priced in (its settlement currency)."""
        item = next(item for item in self.items if item.vendor_id == vendor_id)
        return _item_currency(item, self.states)

    def notices_for(self, item_id: int) -> list[ItemNotice]:
        return [notice for notice in self.notices if notice.item_id == item_id]

    @property
    def vendor_groups(self) -> list[dict[str, Any]]:
        """For pages: per vendor, its items with current state, notices and priced line."""
        priced = {g.vendor_id: g for g in self.priced.groups} if self.priced else {}
        presented_in = self.priced.currency if self.priced else ""
        groups: list[dict[str, Any]] = []
        for vendor_id, group in priced.items():
            rows = []
            for line in group.lines:
                item = next(i for i in self.items if str(i.pk) == line.source.key)
                state = self.states.get(item.pk)
                own_currency = _item_currency(item, self.states)
                rows.append({"item": item, "line": line, "state": state, "notices": self.notices_for(item.pk),
                             # The vendor's own price beside the converted one (ADR 0096).
                             "own_currency": own_currency if own_currency != presented_in else "",
                             "own_unit_price": state.price if state is not None else item.unit_price_amount,
                             # Part of it sold on backorder or pre-order: when it ships.
                             "beyond_stock": state is not None and state.beyond_stock(item.quantity),
                             "ships_from": state.ships_from(item.quantity) if state is not None else None})
            groups.append({"vendor": self.vendors[vendor_id], "group": group, "rows": rows,
                           "shipping_problem": self.shipping_problems.get(vendor_id, "")})
        return groups

    @property
    def unpriced_groups(self) -> list[dict[str, Any]]:
        """For pages when the cart could not be priced (no exchange rate within the limit): per
        vendor, its items at the vendor's own price, in the vendor's currency, not converted."""
        if self.priced is not None:
            return []
        groups: list[dict[str, Any]] = []
        for vendor_id, vendor in self.vendors.items():
            rows = []
            for item in (item for item in self.items if item.vendor_id == vendor_id):
                state = self.states.get(item.pk)
                unit = state.price if state is not None else item.unit_price_amount
                rows.append({"item": item, "name": state.name if state is not None else item.name,
                             "currency": _item_currency(item, self.states), "unit_price": unit,
                             "line_amount": unit * item.quantity, "notices": self.notices_for(item.pk)})
            groups.append({"vendor": vendor, "rows": rows})
        return groups


def cart_review(
    *, cart: Cart | None, country: str = "", region: str = "",
    shipping_choice: dict[int, int | None] | None = None, buyer_vat_id: str = "",
    currency: str | None = None, default_currency: str = "", strict: bool = False,
) -> CartReview:
    """The cart priced in `currency` (the buyer's presentment currency). Without one, a cart in one
    currency stays in it and a cart of several takes `default_currency`. Items in another currency
    convert at today's reference rate; when none is known within the limit the review carries
    `ExchangeRateMissing` (raised instead when `strict`: checkout) and is not priced."""
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
    rates: dict[str, FxRate] = {}
    problems: dict[int, str] = {}
    if items:
        presentment = _presentment(items, states, currency, default_currency)
        try:
            rates = _rates(items=items, states=states, presentment=presentment)
        except ExchangeRateMissing as exc:
            if strict:
                raise
            return CartReview(cart, items, states, vendors, None, notices, fx_error=exc)
        tables = shipping_tables().tables(vendors=list(vendors.values()))
        discounts = discounts_for_cart(cart=cart)
        try:
            priced = _price(items=items, states=states, vendors=vendors, country=country, region=region,
                            shipping_choice=shipping_choice or {}, buyer_vat_id=buyer_vat_id,
                            currency=presentment, rates=rates, tables=tables, discounts_for=discounts)
        except (TaxDestinationUnsupported, TaxServiceUnavailable) as exc:
            # The cart still shows its lines (without tax) and the reason; checkout refuses it.
            tax_error = exc
            priced = _price(items=items, states=states, vendors=vendors, country=country, region=region,
                            shipping_choice=shipping_choice or {}, untaxed=True,
                            currency=presentment, rates=rates, tables=tables, discounts_for=discounts)
        problems = _shipping_problems(priced=priced, tables=tables, vendors=vendors, country=country, region=region)
    return CartReview(cart, items, states, vendors, priced, notices, tax_error, rates, shipping_problems=problems,
                      code=discount_code_state(cart=cart, priced=priced))


def _presentment(items: list[CartItem], states: dict[int, VariantState], currency: str | None,
                 default_currency: str) -> str:
    if currency:
        return currency_check(currency)
    currencies = {_item_currency(item, states) for item in items}
    if len(currencies) == 1:
        return currencies.pop()
    return currency_check(default_currency) if default_currency else items[0].currency


def _item_currency(item: CartItem, states: dict[int, VariantState]) -> str:
    state = states.get(item.pk)
    return state.currency if state is not None else item.currency


def _rates(*, items: list[CartItem], states: dict[int, VariantState], presentment: str) -> dict[str, FxRate]:
    today = timezone.localdate()
    return {
        source: rate_for(source=source, target=presentment, on=today)
        for source in sorted({_item_currency(item, states) for item in items} - {presentment})
    }


def _shipping_problems(*, priced: PricedCart, tables: dict[int, VendorShipping | None], vendors: dict[int, Vendor],
                       country: str, region: str) -> dict[int, str]:
    """Why a vendor's part has no shipping option: no settings, a destination outside its zones,
    or a parcel no band of its methods covers."""
    problems = {}
    for group in priced.groups:
        if group.options:
            continue
        table = tables.get(group.vendor_id)
        names = {
            "vendor": vendors[group.vendor_id].name,
            "items": ", ".join(line.source.name for line in group.lines),
            "country": str(country_names.name(country.upper()) or country) if country else _("this address"),
        }
        if table is None:
            problems[group.vendor_id] = _("%(vendor)s has not set up shipping yet, so %(items)s cannot be "
                                          "sent; remove them to continue.") % names
        elif zone_for(shipping=table, country=country, region=region) is None:
            problems[group.vendor_id] = _("%(vendor)s does not ship to %(country)s: remove %(items)s or "
                                          "choose another address.") % names
        else:
            problems[group.vendor_id] = _("%(vendor)s has no shipping method to %(country)s for this parcel "
                                          "(%(items)s): remove some items or choose another address.") % names
    return problems


class _Untaxed:
    """Stands in for the tax engine once it has refused: lines priced, no tax claimed."""

    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote:
        return TaxQuote(inclusive=False, lines=[TaxResult(line.key, 0, 0) for line in lines])


def _fmt(amount: int, currency: str) -> str:
    return format_money_localized(amount, currency)


def _price(*, items: list[CartItem], states: dict[int, VariantState], vendors: dict[int, Vendor],
           country: str, region: str, shipping_choice: dict[int, int | None], buyer_vat_id: str = "",
           untaxed: bool = False, currency: str, rates: dict[str, FxRate],
           tables: dict[int, VendorShipping | None], discounts_for: DiscountFn | None = None) -> PricedCart:
    vendor_currency = {item.vendor_id: _item_currency(item, states) for item in items}
    today = timezone.localdate()

    def options_for(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
        # Shipping is priced in the vendor's currency (its free-over threshold too), then converted.
        fx = rates.get(vendor_currency[vendor_id])
        if fx is None:
            return shipping_options(shipping=tables.get(vendor_id), currency=currency, country=country,
                                    region=region, subtotal=subtotal, weight_grams=weight, today=today)
        own = shipping_options(
            shipping=tables.get(vendor_id), currency=fx.source_currency, country=country, region=region,
            subtotal=convert(subtotal, source=currency, target=fx.source_currency, rate=fx.inverse),
            weight_grams=weight, today=today)
        return [replace(option, amount=convert(option.amount, source=fx.source_currency, target=currency,
                                               rate=fx.rate)) for option in own]

    def presented(amount: int, item: CartItem) -> int:
        fx = rates.get(vendor_currency[item.vendor_id])
        return amount if fx is None else convert(amount, source=fx.source_currency, target=currency, rate=fx.rate)

    lines = []
    for item in items:
        state = states.get(item.pk)
        lines.append(LineInput(
            key=str(item.pk), vendor_id=item.vendor_id, product_id=item.product_id,
            variant_id=item.variant_id, sku=item.sku, name=state.name if state else item.name,
            quantity=item.quantity,
            unit_price=presented(state.price if state else item.unit_price_amount, item),
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
        discounts_for=discounts_for,
    )
