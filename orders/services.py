"""Cart, checkout and order state changes (public schema, reaching into vendor schemas for stock).

Checkout is one database transaction: it re-prices every line from the vendor's own schema,
snapshots tax, shipping and commission, reserves stock with conditional updates in each vendor's
schema (never oversells) and creates the order with one sub-order per vendor. The PaymentIntent is
created after commit (no network call holds row locks); its idempotency key is the order's.
Payment state moves only through the signed webhooks (`orders/webhook_handlers.py`).
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from common.exceptions import ApplicationError
from common.mail import send_mail_localized
from orders.addresses import Address
from orders.errors import (
    CartEmpty,
    CartError,
    CurrencyMismatch,
    OrderNotFound,
    OrderStateConflict,
    OutOfStock,
    PriceChanged,
    ProductUnavailable,
    ShippingUnavailable,
    VendorNotSelling,
)
from orders.models import Cart, CartItem, Order, OrderLine, ShippingRate, SubOrder
from orders.pricing import LineInput, PricedCart, PricedLine, cart_price, fallback_commission
from orders.shipping import ShippingOption, shipping_options
from orders.tax import tax_calculator
from payments import gateway
from payments.errors import GatewayError, InvalidGatewayRequest, ResourceMissing
from vendors.models import Vendor

logger = logging.getLogger(__name__)

MAX_QUANTITY = 999


def reservation_minutes() -> int:
    return int(getattr(settings, "ORDERS_RESERVATION_MINUTES", 15))


# ---------------------------------------------------------------------------------------------
# reading the vendor's catalog (its own schema)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VariantState:
    vendor_id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    price: int
    currency: str
    stock: int
    weight_grams: int
    active: bool
    tax_category: str
    category_id: int | None


def schema_of(vendor: Vendor) -> str:
    if vendor.store is None:
        raise VendorNotSelling(_("%(vendor)s is not selling at the moment.") % {"vendor": vendor.name})
    return str(vendor.store.schema_name)


def variant_states(*, vendor: Vendor, variant_ids: list[int]) -> dict[int, VariantState]:
    """Current price, stock and status of variants, read in the vendor's schema."""
    from catalog.models import Product, Variant

    with schema_context(schema_of(vendor)):
        variants = Variant.objects.select_related("product").filter(pk__in=variant_ids)
        states = {}
        for variant in variants:
            product = variant.product
            label = variant.options_label
            states[variant.pk] = VariantState(
                vendor_id=vendor.pk, product_id=product.pk, variant_id=variant.pk, sku=variant.sku,
                name=f"{product.name} ({label})" if label else product.name,
                price=variant.price_amount, currency=variant.currency, stock=variant.stock,
                weight_grams=variant.weight_grams,
                active=product.status == Product.Status.ACTIVE,
                tax_category=str((product.attributes or {}).get("tax_category") or "standard"),
                category_id=product.category_id,
            )
        return states


# ---------------------------------------------------------------------------------------------
# cart
# ---------------------------------------------------------------------------------------------
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
    other = cart.items.exclude(currency=state.currency).first()
    if other is not None:
        raise CurrencyMismatch(
            _("Your cart is in %(currency)s; this product is priced in another currency.")
            % {"currency": other.currency}
        )
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
    from orders.errors import OrderNotFound

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
    for item in anonymous.items.all():
        existing = cart.items.filter(vendor_id=item.vendor_id, variant_id=item.variant_id).first()
        if existing is not None:
            existing.quantity = min(MAX_QUANTITY, existing.quantity + item.quantity)
            existing.save(update_fields=["quantity", "updated_at"])
        elif not cart.items.exclude(currency=item.currency).exists():
            item.pk = None
            item.cart = cart
            item.save()
    anonymous.delete()
    return cart


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


# ---------------------------------------------------------------------------------------------
# review: the cart priced now, with every problem the buyer must see
# ---------------------------------------------------------------------------------------------
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

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def can_checkout(self) -> bool:
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
                rows.append({"item": item, "line": line, "state": self.states.get(item.pk),
                             "notices": self.notices_for(item.pk)})
            groups.append({"vendor": self.vendors[vendor_id], "group": group, "rows": rows})
        return groups


def _category_chains(category_ids: set[int]) -> dict[int, list[int]]:
    """Each category's ancestors, nearest first (the platform taxonomy is shallow)."""
    from marketplace.models import Category

    parents: dict[int, int | None] = {}
    wanted = {pk for pk in category_ids if pk}
    while wanted:
        rows = dict(Category.objects.filter(pk__in=wanted).values_list("pk", "parent_id"))
        parents.update(rows)
        wanted = {parent for parent in rows.values() if parent and parent not in parents}
    chains: dict[int, list[int]] = {}
    for pk in category_ids:
        chain, current = [], parents.get(pk)
        while current and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[pk] = chain
    return chains


def _commission_fn(category_ids: set[int] | None = None, vendor_ids: set[int] | None = None) -> Any:
    """payouts' commission rules per vendor sub-order; a flat platform rate only without payouts.

    With the cart's `category_ids` and `vendor_ids`, the category chains and the candidate rules
    are read once per cart (one query each) rather than once per vendor.
    """
    try:
        from payouts.commissions import OrderLineInput, commission_for_vendor_order, rules_for_cart
        from payouts.errors import CommissionRuleMissing
    except ImportError:  # the payouts app is optional for this module
        return fallback_commission

    known: dict[int, list[int]] = {}
    cart_categories = {pk for pk in category_ids or () if pk}
    at = timezone.now()
    cart_rules: dict[str, Any] = {}

    def chains_for(wanted: set[int]) -> dict[int, list[int]]:
        # The first call reads the whole cart's chains; later ones only what is still unknown.
        missing = (wanted | cart_categories) - known.keys()
        if missing:
            known.update(_category_chains(missing))
        return known

    def rules_for(vendor_id: int, currency: str) -> Any:
        if not vendor_ids or vendor_id not in vendor_ids:
            return None
        if currency not in cart_rules:
            chains = chains_for(cart_categories)
            categories = set(chains) | {pk for chain in chains.values() for pk in chain}
            cart_rules[currency] = rules_for_cart(vendor_ids=sorted(vendor_ids), category_ids=sorted(categories),
                                                  currency=currency, at=at)
        return cart_rules[currency]

    def commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
        chains = chains_for({line.source.category_id for line in lines if line.source.category_id})
        inputs = [
            OrderLineInput(
                category_id=line.source.category_id,
                category_ancestor_ids=chains.get(line.source.category_id or 0, []),
                unit_amount=line.source.unit_price, quantity=line.source.quantity,
            )
            for line in lines
        ]
        try:
            quotes = commission_for_vendor_order(vendor_id=vendor_id, currency=currency, lines=inputs, at=at,
                                                 rules=rules_for(vendor_id, currency))
        except CommissionRuleMissing:
            logger.warning("no commission rule for vendor %s in %s: flat fallback rate", vendor_id, currency)
            return fallback_commission(vendor_id, lines, currency)
        return [(quote.rule_id, quote.amount) for quote in quotes]

    return commission


def cart_review(
    *, cart: Cart | None, country: str = "", region: str = "",
    shipping_choice: dict[int, int | None] | None = None,
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
    if items:
        priced = _price(items=items, states=states, vendors=vendors, country=country, region=region,
                        shipping_choice=shipping_choice or {})
    return CartReview(cart, items, states, vendors, priced, notices)


def _fmt(amount: int, currency: str) -> str:
    from frontend.templatetags.money import money

    return money(amount, currency)


def _price(*, items: list[CartItem], states: dict[int, VariantState], vendors: dict[int, Vendor],
           country: str, region: str, shipping_choice: dict[int, int | None]) -> PricedCart:
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
        ))
    return cart_price(
        currency=currency, lines=lines, country=country, region=region,
        shipping_choice=shipping_choice, options_for=options_for,
        commission_for=_commission_fn({line.category_id for line in lines if line.category_id},
                                      {line.vendor_id for line in lines}),
        tax=tax_calculator(),
    )


# ---------------------------------------------------------------------------------------------
# checkout
# ---------------------------------------------------------------------------------------------
def checkout_submit(
    *, user: Any, address: Address, shipping_choice: dict[int, int | None], checkout_token: str,
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
    try:
        return _checkout(user=user, address=address, shipping_choice=shipping_choice, token=token)
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
def _checkout(*, user: Any, address: Address, shipping_choice: dict[int, int | None], token: str) -> Order:
    cart = Cart.objects.select_for_update().filter(user=user).first()
    # The cart lock serialises this buyer's concurrent submits: the second one finds the order.
    existing = Order.objects.filter(buyer=user, checkout_token=token).first()
    if existing is not None:
        return existing
    review = cart_review(cart=cart, country=address.country, region=address.region,
                         shipping_choice=shipping_choice)
    if review.is_empty:
        raise CartEmpty(_("Your cart is empty."))
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
        raise ShippingUnavailable(
            _("A vendor in your cart does not ship to this country."), fields={"country": [_("Not shipped here.")]}
        )
    for group in priced.groups:
        wanted = shipping_choice.get(group.vendor_id)
        if wanted and group.shipping is not None and group.shipping.rate_id != wanted:
            raise ShippingUnavailable(_("Choose one of the shipping options shown."),
                                      fields={f"shipping_{group.vendor_id}": [_("Not available.")]})
    now = timezone.now()
    order = Order.objects.create(
        buyer=user, email=user.email, currency=priced.currency,
        tax_display=Order.TaxDisplay.INCLUSIVE if priced.inclusive else Order.TaxDisplay.EXCLUSIVE,
        subtotal_amount=priced.subtotal, shipping_amount=priced.shipping, tax_amount=priced.tax,
        total_amount=priced.total, commission_amount=priced.commission, checkout_token=token,
        reserved_until=now + timedelta(minutes=reservation_minutes()),
        ship_name=address.name, ship_line1=address.line1, ship_line2=address.line2,
        ship_city=address.city, ship_region=address.region, ship_postal_code=address.postal_code,
        ship_country=address.country,
    )
    order.transfer_group = f"order_{order.pk}"
    order.save(update_fields=["transfer_group"])
    subs = SubOrder.objects.bulk_create([
        SubOrder(
            order=order, vendor_id=group.vendor_id, shipping_rate_id=group.shipping.rate_id,
            shipping_name=group.shipping.name, shipping_amount=group.shipping.amount,
            subtotal_amount=group.subtotal, tax_amount=group.tax, total_amount=group.total,
            commission_amount=group.commission, net_amount=group.net,
        )
        for group in priced.groups if group.shipping is not None
    ])
    assert len(subs) == len(priced.groups)
    lines = OrderLine.objects.bulk_create([
        OrderLine(
            order=order, sub_order=sub, vendor_id=group.vendor_id,
            product_id=line.source.product_id, variant_id=line.source.variant_id,
            sku=line.source.sku, name=line.source.name, quantity=line.source.quantity,
            unit_price_amount=line.source.unit_price, line_amount=line.line_amount,
            tax_category=line.source.tax_category, tax_rate_bp=line.tax_rate_bp,
            tax_amount=line.tax_amount, commission_rule_id=line.commission_rule_id,
            commission_amount=line.commission_amount,
        )
        for group, sub in zip(priced.groups, subs, strict=True)
        for line in group.lines
    ])
    _stock_reserve(order=order, vendors=review.vendors, lines=lines)
    assert cart is not None
    # One DELETE, no SELECT: django-tenants connects a post_delete receiver for every model (it
    # only acts on tenants), which makes QuerySet.delete() load the rows first. Nothing cascades
    # from cart items and no receiver concerns them.
    CartItem.objects.filter(cart=cart)._raw_delete(CartItem.objects.db)
    return order


_STOCK_TAKE_SQL = 'UPDATE {table} SET "stock" = "stock" - %s WHERE "id" = %s AND "stock" >= %s RETURNING "stock"'


def _stock_reserve(*, order: Order, vendors: dict[int, Vendor], lines: list[OrderLine] | None = None) -> None:
    """Conditional decrements in each vendor's schema, in a fixed order (no deadlocks).

    `lines` are the order's lines when the caller has them (checkout: no re-read). Per vendor:
    one `UPDATE … RETURNING` per variant (the stock after it, for the adjustment), one insert of
    the adjustments, one outbox write for the listing.
    """
    from django.db import connection

    from catalog.models import StockAdjustment, Variant
    from catalog.services import outbox_write_many

    wanted: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, str] = {}
    products: dict[int, set[int]] = defaultdict(set)
    for line in order.lines.all() if lines is None else lines:
        wanted[line.vendor_id][line.variant_id] += line.quantity
        names[line.variant_id] = line.name
        products[line.vendor_id].add(line.product_id)
    sql = _STOCK_TAKE_SQL.format(table=connection.ops.quote_name(Variant._meta.db_table))
    for vendor_id in sorted(wanted, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            adjustments = []
            with connection.cursor() as cursor:
                for variant_id in sorted(wanted[vendor_id]):
                    quantity = wanted[vendor_id][variant_id]
                    cursor.execute(sql, [quantity, variant_id, quantity])
                    row = cursor.fetchone()
                    if row is None:
                        raise OutOfStock(
                            _("%(name)s sold out while you were checking out.") % {"name": names[variant_id]},
                            fields={"items": [names[variant_id]]},
                        )
                    adjustments.append(StockAdjustment(
                        variant_id=variant_id, delta=-quantity, stock_after=row[0],
                        reason=StockAdjustment.Reason.SOLD, note=f"order {order.number} reserved",
                        user_id=order.buyer_id, user_email=order.email,
                    ))
            StockAdjustment.objects.bulk_create(adjustments)
            # The marketplace listing shows stock: publish the change with the reservation (the
            # lines carry each variant's product, so no lookup of it).
            outbox_write_many(product_ids=sorted(products[vendor_id]))


def _stock_release(*, order: Order, note: str) -> None:
    """Give back every reserved unit still open (idempotent through `stock_released`)."""
    from catalog.models import StockAdjustment, Variant
    from catalog.services import variants_changed_publish

    if order.stock_released:
        return
    by_vendor: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in order.lines.all():
        open_quantity = line.quantity - line.shipped_quantity - line.cancelled_quantity
        if open_quantity > 0:
            by_vendor[line.vendor_id][line.variant_id] += open_quantity
    vendors = Vendor.objects.select_related("store").in_bulk(list(by_vendor))
    for vendor_id in sorted(by_vendor, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            for variant_id, quantity in sorted(by_vendor[vendor_id].items()):
                if Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity):
                    stock_after = Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).get()
                    StockAdjustment.objects.create(
                        variant_id=variant_id, delta=quantity, stock_after=stock_after,
                        reason=StockAdjustment.Reason.CORRECTION, note=f"order {order.number} {note}"[:200],
                    )
            variants_changed_publish(variant_ids=list(by_vendor[vendor_id]))
    order.stock_released = True
    order.save(update_fields=["stock_released", "updated_at"])


def _stock_take_again(*, order: Order) -> bool:
    """After a late payment of a released order: reserve again if every unit is still there."""
    vendors = Vendor.objects.select_related("store").in_bulk(list(order.sub_orders.values_list("vendor_id", flat=True)))
    try:
        with transaction.atomic():
            _stock_reserve(order=order, vendors=vendors)
    except OutOfStock:
        return False
    order.stock_released = False
    order.save(update_fields=["stock_released", "updated_at"])
    return True


# ---------------------------------------------------------------------------------------------
# payment
# ---------------------------------------------------------------------------------------------
def platform_url(path: str) -> str:
    from frontend.urls import platform_url as host_platform_url

    return host_platform_url(path)


def order_payment_start(*, order: Order, return_url: str) -> str:
    """The URL where the buyer pays: one PaymentIntent per order, whatever the retries."""
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("This order is not awaiting payment."))
    intent = gateway.payment_intent_create(
        order_id=order.pk, amount=order.total_amount, currency=order.currency,
        transfer_group=order.transfer_group or f"order_{order.pk}",
        metadata={"order_number": order.number, "buyer_id": order.buyer_id}, return_url=return_url,
    )
    Order.objects.filter(pk=order.pk, payment_intent_id="").update(payment_intent_id=intent.id)
    order.payment_intent_id = order.payment_intent_id or intent.id
    return gateway.payment_page_url(payment_intent=intent, return_url=return_url)


def _order_for_intent(data: dict[str, Any]) -> Order | None:
    order_id = (data.get("metadata") or {}).get("order_id")
    query = Order.objects.select_for_update()
    if order_id and str(order_id).isdigit():
        order = query.filter(pk=int(order_id)).first()
        if order is not None and order.payment_intent_id in ("", data.get("id")):
            return order
        return None
    return query.filter(payment_intent_id=data.get("id") or "-").first()


@transaction.atomic
def order_payment_succeeded(*, intent_data: dict[str, Any], event_id: str = "") -> Order | None:
    """Mark the order paid from a verified `payment_intent.succeeded` (duplicates: no-op)."""
    order = _order_for_intent(intent_data)
    if order is None:
        return None
    intent = gateway.payment_intent_from_dict(intent_data)
    if intent.amount != order.total_amount or intent.currency != order.currency:
        raise ApplicationError(
            f"PaymentIntent {intent.id} is {intent.amount} {intent.currency}, order {order.pk} is "
            f"{order.total_amount} {order.currency}.", code="payment_amount_mismatch",
        )
    if order.paid_at is not None or order.status == Order.Status.REFUNDED:
        return order
    if not order.payment_intent_id:
        order.payment_intent_id = intent.id
    if order.stock_released and not _stock_take_again(order=order):
        _order_refund_whole(order=order, intent=intent, reason="stock_gone_after_late_payment")
        return order
    now = timezone.now()
    order.status = Order.Status.PAID
    order.paid_at = now
    order.failure_code = ""
    order.stripe_fee_amount = _stripe_fee(intent)
    order.save(update_fields=["status", "paid_at", "failure_code", "payment_intent_id",
                              "stripe_fee_amount", "updated_at"])
    order.sub_orders.update(status=SubOrder.Status.PAID, updated_at=now)
    _ledger_payment_captured(order=order, intent=intent)
    order_id = order.pk
    transaction.on_commit(lambda: _after_paid(order_id))
    return order


def _after_paid(order_id: int) -> None:
    from fulfillment.tasks import vendor_order_copy
    from orders.tasks import order_confirmation_send

    order_confirmation_send.delay(order_id)
    for sub_order_id in SubOrder.objects.filter(order_id=order_id).values_list("pk", flat=True):
        vendor_order_copy.delay(sub_order_id)


def _order_refund_whole(*, order: Order, intent: Any, reason: str) -> None:
    gateway.refund_create(
        key=f"order:{order.pk}:whole", payment_intent_id=intent.id, amount=intent.amount,
        metadata={"order_id": order.pk, "reason": reason},
    )
    order.status = Order.Status.REFUNDED
    order.failure_code = reason
    order.save(update_fields=["status", "failure_code", "payment_intent_id", "updated_at"])
    order.sub_orders.update(status=SubOrder.Status.REFUNDED, refunded_amount=F("total_amount"))


def _stripe_fee(intent: Any) -> int | None:
    """The fee of the charge's balance transaction (found by its source)."""
    if not intent.latest_charge:
        return None
    try:
        for txn in gateway.balance_transactions_list(
            created_gte=(intent.created or 0) - 3600 if intent.created else None, created_lt=None
        ):
            if txn.get("source") == intent.latest_charge:
                return int(txn.get("fee") or 0)
    except GatewayError:
        logger.warning("fee lookup failed for %s", intent.id)
    return None


def _ledger_payment_captured(*, order: Order, intent: Any) -> None:
    """Buyer payment in, each vendor's payable, the platform's commission, Stripe's fee."""
    from payouts.ledger.postings import post_payment_captured

    post_payment_captured(
        order_id=order.pk, amount=order.total_amount, currency=order.currency,
        vendor_shares=[(sub.vendor_id, sub.total_amount, sub.commission_amount)
                       for sub in order.sub_orders.order_by("vendor_id")],
        stripe_fee=order.stripe_fee_amount or 0, key=f"payment_captured:order:{order.pk}",
    )


@transaction.atomic
def order_payment_failed(*, intent_data: dict[str, Any]) -> Order | None:
    """A declined or failed attempt (one `payment_intent.payment_failed` event, applied once).

    As with Stripe's own payment page, the PaymentIntent stays usable: the order keeps its
    reservation and the buyer tries another card on the same page. After
    ORDERS_MAX_FAILED_PAYMENTS attempts (card testing) the order is given up: the intent is
    cancelled, the stock released and the items put back in the cart. An order nobody pays
    expires with its reservation (`order_expire`)."""
    order = _order_for_intent(intent_data)
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return order
    intent_id = intent_data["id"]
    # The event may be stale: the buyer may have paid with another card since.
    current = gateway.payment_intent_retrieve(payment_intent_id=intent_id)
    if current.status in ("succeeded", "processing", "requires_capture"):
        return order
    error = intent_data.get("last_payment_error") or {}
    order.failed_payment_attempts += 1
    order.failure_code = str(error.get("decline_code") or error.get("code") or current.last_error_code
                             or "payment_failed")[:64]
    order.save(update_fields=["failed_payment_attempts", "failure_code", "updated_at"])
    if order.failed_payment_attempts >= settings.ORDERS_MAX_FAILED_PAYMENTS or current.status == "canceled":
        _order_payment_give_up(order=order, intent_id=intent_id)
    return order


def _order_payment_give_up(*, order: Order, intent_id: str) -> bool:
    """Cancel the order's PaymentIntent, release its stock and put the items back in the cart."""
    try:
        gateway.payment_intent_cancel(payment_intent_id=intent_id)
    except (InvalidGatewayRequest, ResourceMissing):
        current = gateway.payment_intent_retrieve(payment_intent_id=intent_id)
        if current.status != "canceled":
            return False
    _order_end_failed(order=order, note="payment failed")
    return True


def _order_end_failed(*, order: Order, note: str) -> None:
    """A payment that failed for good: cancelled as a failed payment, the items back in the cart."""
    _order_cancel(order=order, note=note, status=Order.Status.PAYMENT_FAILED)
    _cart_restore(order=order)


@transaction.atomic
def order_payment_canceled(*, intent_data: dict[str, Any]) -> Order | None:
    order = _order_for_intent(intent_data)
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return order
    _order_cancel(order=order, note="payment cancelled")
    return order


def _order_cancel(*, order: Order, note: str, status: str = Order.Status.CANCELLED) -> None:
    order.status = status
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    order.sub_orders.update(status=SubOrder.Status.CANCELLED)
    _stock_release(order=order, note=note)


def _cart_restore(*, order: Order) -> None:
    """Put the order's items back in the buyer's cart so trying again is one click."""
    cart = cart_for(user=order.buyer, create=True)
    assert cart is not None
    for line in order.lines.all():
        item, created = CartItem.objects.get_or_create(
            cart=cart, vendor_id=line.vendor_id, variant_id=line.variant_id,
            defaults={"product_id": line.product_id, "sku": line.sku, "name": line.name,
                      "quantity": line.quantity, "unit_price_amount": line.unit_price_amount,
                      "currency": order.currency},
        )
        if not created:
            CartItem.objects.filter(pk=item.pk).update(quantity=min(MAX_QUANTITY, item.quantity + line.quantity))


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    """Cancel an unpaid order whose reservation ran out: PaymentIntent cancelled, stock back."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PENDING_PAYMENT or order.reserved_until > timezone.now():
        return False
    if order.payment_intent_id:
        try:
            intent = gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id)
            if intent.status in ("succeeded", "processing", "requires_capture"):
                return False  # paid at the last minute: the webhook marks it paid
            if intent.status != "canceled":
                gateway.payment_intent_cancel(payment_intent_id=order.payment_intent_id)
        except ResourceMissing:
            pass
        except InvalidGatewayRequest:
            intent = gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id)
            if intent.status != "canceled":
                return False
    if order.failed_payment_attempts:
        # The buyer tried to pay and gave up after a decline: as when the attempts run out, the
        # order ends as a failed payment and the items wait in the cart.
        _order_end_failed(order=order, note="reservation expired after a failed payment")
        return True
    _order_cancel(order=order, note="reservation expired")
    return True


def orders_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    due = list(
        Order.objects.filter(status=Order.Status.PENDING_PAYMENT, reserved_until__lte=now or timezone.now())
        .order_by("reserved_until").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for order_id in due if order_expire(order_id=order_id))


# ---------------------------------------------------------------------------------------------
# after payment: the vendor's side syncs back
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def sub_order_sync(*, sub_order_id: int) -> SubOrder | None:
    """Copy the vendor's fulfilment state (lines, shipments, refunds) onto the public sub-order."""
    from fulfillment.models import VendorOrder

    sub = (SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store", "order")
           .filter(pk=sub_order_id).first())
    if sub is None or sub.vendor.store is None:
        return None
    with schema_context(sub.vendor.store.schema_name):
        vendor_order = VendorOrder.objects.prefetch_related("lines", "shipments").filter(sub_order_id=sub.pk).first()
        if vendor_order is None:
            return sub
        lines = {line.order_line_id: line for line in vendor_order.lines.all()}
        tracking = [
            {"carrier": s.carrier, "tracking_number": s.tracking_number, "shipped_at": s.shipped_at.isoformat()}
            for s in vendor_order.shipments.all()
        ]
        refunded = vendor_order.refunded_amount
    for line in sub.lines.all():
        copy = lines.get(line.pk)
        if copy is None:
            continue
        OrderLine.objects.filter(pk=line.pk).update(
            shipped_quantity=copy.shipped_quantity, cancelled_quantity=copy.cancelled_quantity,
            refunded_amount=copy.refunded_amount,
        )
    totals = sub.lines.values_list("quantity", "shipped_quantity", "cancelled_quantity")
    quantity = sum(q for q, _s, _c in totals)
    shipped = sum(s for _q, s, _c in totals)
    cancelled = sum(c for _q, _s, c in totals)
    if cancelled >= quantity:
        status = SubOrder.Status.REFUNDED if refunded else SubOrder.Status.CANCELLED
    elif shipped + cancelled >= quantity:
        status = SubOrder.Status.FULFILLED
    elif shipped:
        status = SubOrder.Status.PARTIALLY_FULFILLED
    else:
        status = SubOrder.Status.PAID
    sub.status = status
    sub.tracking = tracking
    sub.refunded_amount = refunded
    sub.vendor_order_id = vendor_order.pk
    sub.save(update_fields=["status", "tracking", "refunded_amount", "vendor_order_id", "updated_at"])
    _order_status_recompute(order=sub.order)
    return sub


def _order_status_recompute(*, order: Order) -> None:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_paid:
        return
    statuses = set(order.sub_orders.values_list("status", flat=True))
    done = {SubOrder.Status.FULFILLED, SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}
    if statuses <= {SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}:
        new = Order.Status.REFUNDED
    elif statuses <= done:
        new = Order.Status.FULFILLED
    elif statuses & {SubOrder.Status.FULFILLED, SubOrder.Status.PARTIALLY_FULFILLED}:
        new = Order.Status.PARTIALLY_FULFILLED
    else:
        new = Order.Status.PAID
    if new != order.status:
        order.status = new
        order.save(update_fields=["status", "updated_at"])


def order_confirmation_send(*, order_id: int) -> bool:
    order = Order.objects.filter(pk=order_id).prefetch_related("sub_orders__vendor", "lines").first()
    if order is None or not order.is_paid:
        return False
    context = {"order": order, "order_url": platform_url(f"/orders/{order.pk}/")}
    send_mail_localized([order.email], lambda: (
        _("Your order %(number)s is confirmed") % {"number": order.number},
        render_to_string("orders/email/confirmation.txt", context),
    ))
    return True


@transaction.atomic
def sub_order_cancel_by_buyer(*, user: Any, order_id: Any, sub_order_id: Any) -> SubOrder:
    """The buyer cancels one vendor's part of a paid order before that vendor ships anything:
    everything of it is refunded (items, tax and shipping), the stock goes back, the vendor's
    transfer is reduced, and the vendor's team is told. Returns the synced public sub-order."""
    from fulfillment.services import vendor_order_cancel_all, vendor_order_create
    from orders.selectors import order_for_buyer

    order = order_for_buyer(user=user, order_id=order_id)
    found = next((s for s in order.sub_orders.all() if str(s.pk) == str(sub_order_id)), None)
    if found is None:
        raise OrderNotFound(_("Order not found."))
    # The row lock every refund of this vendor part takes first (claims, vendor cancellations):
    # a claim refund decided at the same moment waits, and this sees what it refunded.
    sub = SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store").get(pk=found.pk)
    if not order.is_paid or sub.status != SubOrder.Status.PAID:
        raise OrderStateConflict(_("This part of the order can no longer be cancelled."))
    store = sub.vendor.store
    if store is None:
        raise OrderStateConflict(_("This part of the order can no longer be cancelled."))
    with schema_context(store.schema_name):
        # The vendor's copy may not exist yet (its task is queued after payment): make it now.
        vendor_order, _created = vendor_order_create(sub_order_id=sub.pk)
        vendor_order_cancel_all(vendor_order_id=vendor_order.pk, user=user, by="buyer")
    synced = sub_order_sync(sub_order_id=sub.pk)
    assert synced is not None
    transaction.on_commit(lambda: _buyer_cancellation_notify(sub_order_id=sub.pk))
    return synced


def _buyer_cancellation_notify(*, sub_order_id: int) -> None:
    from frontend.urls import vendor_url
    from fulfillment.tasks import vendor_team_emails

    sub = SubOrder.objects.select_related("vendor", "order").get(pk=sub_order_id)
    url = vendor_url(sub.vendor, f"/dashboard/orders/{sub.vendor_order_id}/")
    send_mail_localized(vendor_team_emails(sub.vendor), lambda: (
        _("Order %(number)s was cancelled by the buyer") % {"number": sub.order.number},
        _("The buyer cancelled your part of order %(number)s before it shipped. It has been refunded in full "
          "and the stock is back; do not ship it.") % {"number": sub.order.number} + f"\n\n{url}\n",
    ), fail_silently=True)


def shipping_rates_demo_seed(*, vendor: Vendor) -> None:
    """Demo shipping options: a flat standard rate free over 50, and express by weight (idempotent)."""
    if ShippingRate.objects.filter(vendor=vendor).exists():
        return
    currency = vendor.currency
    ShippingRate.objects.create(vendor=vendor, name="Standard", kind=ShippingRate.Kind.FLAT,
                                currency=currency, base_amount=490, free_over_amount=5000, position=0)
    ShippingRate.objects.create(vendor=vendor, name="Express", kind=ShippingRate.Kind.WEIGHT,
                                currency=currency, base_amount=990, per_kg_amount=150, position=1)
