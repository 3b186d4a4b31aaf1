"""The buyer's cart: its items, merging an anonymous cart into the user's, taking new prices."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from orders.errors import (
    CartError,
    OrderNotFound,
    OutOfStock,
    ProductUnavailable,
    VendorNotSelling,
)
from orders.models import Cart, CartItem
from orders.services.variants import variant_states
from vendors.models import Vendor

MAX_QUANTITY = 999


def cart_token_new() -> str:
    return secrets.token_urlsafe(24)


def cart_for(*, user: Any = None, token: str | None = None, create: bool = False) -> Cart | None:
    """The user's cart (when logged in) or the anonymous cart of this token."""
    if user is not None and user.is_authenticated:
        cart = Cart.objects.filter(user=user).first()
        if cart is None and create:
            cart, _created = Cart.objects.get_or_create(user=user, defaults={"token": cart_token_new()})
        return cart
    if token:
        cart = Cart.objects.filter(token=token, user__isnull=True).first()
        if cart is not None or not create:
            return cart
    if not create:
        return None
    return Cart.objects.create(token=token or cart_token_new())


def _quantity_check(quantity: Any) -> int:
    try:
        value = int(quantity)
    except (TypeError, ValueError):
        raise CartError(_("Enter a whole number."), fields={"quantity": [_("Enter a whole number.")]}) from None
    if not 1 <= value <= MAX_QUANTITY:
        message = _("Quantity must be between 1 and %(max)s.") % {"max": MAX_QUANTITY}
        raise CartError(message, fields={"quantity": [message]})
    return value


def _vendor_selling(vendor_id: Any) -> Vendor:
    try:
        vendor = Vendor.objects.select_related("store").get(pk=int(vendor_id))
    except (Vendor.DoesNotExist, TypeError, ValueError):
        raise ProductUnavailable(_("This product is not available."), fields={"vendor_id": [_("Unknown vendor.")]}) from None
    if not vendor.is_selling or vendor.store is None:
        raise VendorNotSelling(_("%(vendor)s is not selling at the moment.") % {"vendor": vendor.name})
    return vendor


@transaction.atomic
def cart_item_add(*, cart: Cart, vendor_id: Any, variant_id: Any, quantity: Any = 1) -> CartItem:
    quantity = _quantity_check(quantity)
    vendor = _vendor_selling(vendor_id)
    try:
        variant_pk = int(variant_id)
    except (TypeError, ValueError):
        raise ProductUnavailable(_("This product is not available."), fields={"variant_id": [_("Unknown product.")]}) from None
    state = variant_states(vendor=vendor, variant_ids=[variant_pk]).get(variant_pk)
    if state is None or not state.active:
        raise ProductUnavailable(_("This product is not available."), fields={"variant_id": [_("Unknown product.")]})
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    # Items of vendors in different currencies share the cart: it is priced and charged once in
    # the buyer's presentment currency (orders.currency, docs/adr/0086).
    item = cart.items.filter(vendor=vendor, variant_id=variant_pk).first()
    new_quantity = quantity + (item.quantity if item else 0)
    if new_quantity > state.stock:
        raise OutOfStock(
            _("Only %(stock)s of %(name)s left.") % {"stock": max(state.stock, 0), "name": state.name},
            fields={"quantity": [_("Not enough stock.")]},
        )
    if item is None:
        return CartItem.objects.create(
            cart=cart, vendor=vendor, product_id=state.product_id, variant_id=variant_pk,
            sku=state.sku, name=state.name, quantity=new_quantity, unit_price_amount=state.price,
            currency=state.currency, weight_grams=state.weight_grams,
        )
    item.quantity = new_quantity
    item.save(update_fields=["quantity", "updated_at"])
    return item


@transaction.atomic
def cart_item_update(*, cart: Cart, item_id: Any, quantity: Any) -> CartItem | None:
    """Set an item's quantity; 0 removes it. Refused beyond the stock left."""
    item = _cart_item(cart, item_id)
    if str(quantity).strip() in {"0"}:
        item.delete()
        return None
    quantity = _quantity_check(quantity)
    state = variant_states(vendor=item.vendor, variant_ids=[item.variant_id]).get(item.variant_id)
    if state is not None and quantity > state.stock:
        raise OutOfStock(
            _("Only %(stock)s of %(name)s left.") % {"stock": max(state.stock, 0), "name": item.name},
            fields={"quantity": [_("Not enough stock.")]},
        )
    item.quantity = quantity
    item.save(update_fields=["quantity", "updated_at"])
    return item


@transaction.atomic
def cart_item_remove(*, cart: Cart, item_id: Any) -> None:
    _cart_item(cart, item_id).delete()


def _cart_item(cart: Cart, item_id: Any) -> CartItem:

    try:
        return cart.items.select_related("vendor__store").select_for_update(of=("self",)).get(pk=int(item_id))
    except (CartItem.DoesNotExist, TypeError, ValueError):
        raise OrderNotFound(_("This item is not in your cart."), code="cart_item_not_found") from None


@transaction.atomic
def cart_merge(*, token: str, user: Any) -> Cart | None:
    """Move an anonymous cart's items into the user's cart (quantities add up, capped)."""
    anonymous = Cart.objects.select_for_update().filter(token=token, user__isnull=True).first()
    if anonymous is None:
        return None
    cart = cart_for(user=user, create=True)
    assert cart is not None
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    items = list(anonymous.items.select_related("vendor__store"))
    stock = _stock_of(items)
    for item in items:
        # Never more than the stock left (or the cap): added up, two carts could exceed both.
        ceiling = min(MAX_QUANTITY, stock.get((item.vendor_id, item.variant_id), MAX_QUANTITY))
        existing = cart.items.filter(vendor_id=item.vendor_id, variant_id=item.variant_id).first()
        if existing is not None:
            merged = min(ceiling, existing.quantity + item.quantity)
            if merged > existing.quantity:
                existing.quantity = merged
                existing.save(update_fields=["quantity", "updated_at"])
        elif ceiling > 0:
            item.pk = None
            item.cart = cart
            item.quantity = min(ceiling, item.quantity)
            item.save()
    anonymous.delete()
    return cart


def _stock_of(items: list[CartItem]) -> dict[tuple[int, int], int]:
    """Stock now of each (vendor, variant) of these items (one read per vendor schema)."""
    stock: dict[tuple[int, int], int] = {}
    for vendor, vendor_items in _items_by_vendor(items).items():
        if vendor.store is None:
            continue
        states = variant_states(vendor=vendor, variant_ids=[i.variant_id for i in vendor_items])
        stock.update({(vendor.pk, vid): max(0, state.stock) for vid, state in states.items()})
    return stock


@transaction.atomic
def cart_prices_accept(*, cart: Cart) -> int:
    """Take the current prices into the cart (after the buyer was shown a price change)."""
    changed = 0
    for vendor, items in _items_by_vendor(list(cart.items.select_related("vendor__store"))).items():
        states = variant_states(vendor=vendor, variant_ids=[item.variant_id for item in items])
        for item in items:
            state = states.get(item.variant_id)
            if state is not None and state.price != item.unit_price_amount:
                CartItem.objects.filter(pk=item.pk).update(unit_price_amount=state.price)
                changed += 1
    return changed


def _items_by_vendor(items: list[CartItem]) -> dict[Vendor, list[CartItem]]:
    grouped: dict[Vendor, list[CartItem]] = {}
    for item in items:
        grouped.setdefault(item.vendor, []).append(item)
    return grouped
