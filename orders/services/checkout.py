"""Checkout: the cart becomes an order with one sub-order per vendor, in one transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import convert
from orders.addresses import Address
from orders.currency import FxRate
from orders.discounts import discounts_redeem
from orders.errors import (
    CartEmpty,
    CartError,
    OutOfStock,
    PriceChanged,
    ProductUnavailable,
    ShippingUnavailable,
    VendorNotSelling,
)
from orders.events import actor_of, order_event_record
from orders.models import Cart, CartItem, Order, OrderExchangeRate, OrderLine, SubOrder
from orders.services.buyer_limits import _checkout_limits_check
from orders.services.cart import cart_for, cart_prices_accept
from orders.services.reservations import _stock_reserve, reservation_minutes
from orders.services.review import cart_review
from orders.services.velocity import velocity_checkout_check
from orders.vat import vat_id_validate


def _ships_from(review: Any, key: str, quantity: int) -> Any:
    """When a line sold beyond stock ships, as the buyer was shown it (the reservation confirms)."""
    state = review.states.get(int(key))
    return state.ships_from(quantity) if state is not None else None


def checkout_submit(
    *, user: Any, address: Address, shipping_choice: dict[int, int | None], checkout_token: str,
    client_ip: str | None = None, vat_id: str = "", currency: str | None = None,
) -> Order:
    """Create the order (or return the one this token already made); see the module docstring.

    A price change refuses the checkout and takes the new prices into the cart, so the buyer sees
    them and the next submit goes through.
    """
    token = (checkout_token or "").strip()
    if not token or len(token) > 64:
        raise CartError(_("The checkout form expired; please review your order again."),
                        code="checkout_token_invalid", fields={"checkout_token": [_("Required.")]})
    existing = Order.objects.filter(buyer=user, checkout_token=token).first()
    if existing is not None:
        return existing
    # Before the transaction: the registry check may take a moment and changes nothing.
    buyer_vat_id = vat_id_validate(vat_id, destination=address.country)
    try:
        return _checkout(user=user, address=address, shipping_choice=shipping_choice, token=token,
                         client_ip=client_ip or None, buyer_vat_id=buyer_vat_id, currency=currency)
    except PriceChanged:
        cart = cart_for(user=user)
        if cart is not None:
            cart_prices_accept(cart=cart)
        raise
    except IntegrityError:
        existing = Order.objects.filter(buyer=user, checkout_token=token).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _checkout(*, user: Any, address: Address, shipping_choice: dict[int, int | None], token: str,
              client_ip: str | None = None, buyer_vat_id: str = "", currency: str | None = None) -> Order:
    cart = Cart.objects.select_for_update().filter(user=user).first()
    # The cart lock serialises this buyer's concurrent submits: the second one finds the order.
    existing = Order.objects.filter(buyer=user, checkout_token=token).first()
    if existing is not None:
        return existing
    review = cart_review(cart=cart, country=address.country, region=address.region,
                         shipping_choice=shipping_choice, buyer_vat_id=buyer_vat_id, currency=currency,
                         strict=True)
    if review.is_empty:
        raise CartEmpty(_("Your cart is empty."))
    if review.tax_error is not None:
        # An untaxable destination or a tax service that did not answer: nothing is created.
        raise review.tax_error
    for notice in review.notices:
        error = {
            VendorNotSelling.code: VendorNotSelling, ProductUnavailable.code: ProductUnavailable,
            OutOfStock.code: OutOfStock, PriceChanged.code: PriceChanged,
        }[notice.code]
        item = next(i for i in review.items if i.pk == notice.item_id)
        raise error(f"{item.name}: {notice.message}", fields={"items": [f"{item.sku}: {notice.message}"]})
    priced = review.priced
    assert priced is not None
    if not priced.shipping_complete:
        problems = list(review.shipping_problems.values()) or [_("A vendor in your cart does not ship here.")]
        raise ShippingUnavailable(" ".join(problems), fields={"country": problems})
    for group in priced.groups:
        wanted = shipping_choice.get(group.vendor_id)
        if wanted and group.shipping is not None and group.shipping.rate_id != wanted:
            raise ShippingUnavailable(_("Choose one of the shipping options shown."),
                                      fields={f"shipping_{group.vendor_id}": [_("Not available.")]})
    if priced.total <= 0:
        raise CartError(_("Your discounts cover the whole order; add an item or remove a code to pay."),
                        code="order_total_zero")
    now = timezone.now()
    # Before anything is created or reserved: a refused checkout leaves no trace.
    new_buyer = _checkout_limits_check(user=user, priced=priced, now=now)
    velocity_checkout_check(user=user, client_ip=client_ip, now=now, new_buyer=new_buyer)
    order = Order.objects.create(
        buyer=user, email=user.email, currency=priced.currency,
        tax_display=Order.TaxDisplay.INCLUSIVE if priced.inclusive else Order.TaxDisplay.EXCLUSIVE,
        subtotal_amount=priced.subtotal, shipping_amount=priced.shipping, tax_amount=priced.tax,
        total_amount=priced.total, commission_amount=priced.commission, checkout_token=token,
        discount_amount=priced.discount,
        reserved_until=now + timedelta(minutes=reservation_minutes()),
        ship_name=address.name, ship_line1=address.line1, ship_line2=address.line2,
        ship_city=address.city, ship_region=address.region, ship_postal_code=address.postal_code,
        ship_country=address.country, client_ip=client_ip, buyer_vat_id=buyer_vat_id,
        tax_calculation_id=priced.tax_calculation_id,
    )
    order.transfer_group = f"order_{order.pk}"
    order.save(update_fields=["transfer_group"])
    subs = SubOrder.objects.bulk_create([
        SubOrder(
            order=order, vendor_id=group.vendor_id, shipping_rate_id=group.shipping.rate_id,
            shipping_name=group.shipping.name, shipping_amount=group.shipping.amount,
            shipping_kind=group.shipping.kind, delivery_days_min=group.shipping.days_min,
            delivery_days_max=group.shipping.days_max,
            subtotal_amount=group.subtotal, tax_amount=group.tax, total_amount=group.total,
            commission_amount=group.commission, platform_tax_amount=group.platform_tax, net_amount=group.net,
            discount_amount=group.discount, platform_discount_amount=group.platform_discount,
            **_settlement(group.net, review.currency_of(group.vendor_id), priced.currency, review.rates),
        )
        for group in priced.groups if group.shipping is not None
    ])
    _rates_snapshot(order=order, rates=review.rates)
    assert len(subs) == len(priced.groups)
    lines = OrderLine.objects.bulk_create([
        OrderLine(
            order=order, sub_order=sub, vendor_id=group.vendor_id,
            product_id=line.source.product_id, variant_id=line.source.variant_id,
            sku=line.source.sku, name=line.source.name, quantity=line.source.quantity,
            unit_price_amount=line.source.unit_price, line_amount=line.line_amount,
            tax_category=line.source.tax_category, tax_rate_bp=line.tax_rate_bp,
            tax_amount=line.tax_amount, tax_collector=line.tax_collector,
            commission_rule_id=line.commission_rule_id,
            commission_amount=line.commission_amount,
            discount_amount=line.discount_amount, platform_discount_amount=line.platform_discount_amount,
            discount_label=", ".join(discount.label for discount in line.discounts)[:200],
            ships_from=_ships_from(review, line.source.key, line.source.quantity),
        )
        for group, sub in zip(priced.groups, subs, strict=True)
        for line in group.lines
    ])
    _stock_reserve(order=order, vendors=review.vendors, lines=lines)
    # Counts each promotion's use atomically; one used up meanwhile refuses the whole checkout.
    discounts_redeem(order=order, priced=priced, cart=cart)
    order_event_record(order_id=order.pk, kind="order.placed", to_status=order.status, actor=actor_of(user, "buyer"))
    assert cart is not None
    # One DELETE, no SELECT: django-tenants connects a post_delete receiver for every model (it
    # only acts on tenants), which makes QuerySet.delete() load the rows first. Nothing cascades
    # from cart items and no receiver concerns them.
    CartItem.objects.filter(cart=cart)._raw_delete(CartItem.objects.db)
    return order


def _settlement(net: int, vendor_currency: str, currency: str, rates: dict[str, FxRate]) -> dict[str, Any]:
    """The vendor's net in its own currency, converted back once with the snapshot's inverse rate."""
    fx = rates.get(vendor_currency)
    if fx is None:
        return {"settlement_currency": currency, "settlement_net_amount": net}
    return {"settlement_currency": fx.source_currency,
            "settlement_net_amount": convert(net, source=currency, target=fx.source_currency, rate=fx.inverse)}


def _rates_snapshot(*, order: Order, rates: dict[str, FxRate]) -> None:
    OrderExchangeRate.objects.bulk_create([
        OrderExchangeRate(order=order, source_currency=fx.source_currency, target_currency=fx.target_currency,
                          rate=fx.rate, inverse_rate=fx.inverse, rate_date=fx.rate_date, rate_source=fx.rate_source)
        for fx in rates.values()
    ])
