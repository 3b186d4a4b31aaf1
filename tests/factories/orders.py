"""Factories for the orders work: sellable variants in a vendor schema, shipping rates, orders in
each state with their sub-orders, payment records and the vendors' fulfilment copies."""

from __future__ import annotations

import itertools
import time
from typing import Any

import factory
from django_tenants.utils import schema_context

from fulfillment.models import VendorOrder
from orders.models import Order
from payments.models import PaymentRecord
from tests.factories.accounts import UserFactory
from tests.support.addresses import ADDRESS_DE
from vendors.models import Vendor

_seq = itertools.count(1)


def sellable_variant(
    vendor: Vendor, *, price: int = 1000, stock: int = 10, currency: str = "EUR",
    weight_grams: int = 500, name: str | None = None, tax_category: str | None = None,
    status: str = "active",
) -> Any:
    """An active product with one variant, created in the vendor's schema (returns the variant)."""
    from catalog.models import Product, StockLevel, StockLocation, Variant

    n = next(_seq)
    with schema_context(vendor.store.schema_name):
        product = Product.objects.create(
            name=name or f"Product {n}", handle=f"product-{n}-{vendor.slug}", status=status,
            attributes={"tax_category": tax_category} if tax_category else {},
        )
        variant = Variant.objects.create(
            product=product, sku=f"SKU-{vendor.slug}-{n}", price_amount=price, currency=currency,
            stock=stock, weight_grams=weight_grams,
        )
        if stock > 0:  # on hand at the default location, as the stock module keeps it
            StockLevel.objects.create(variant=variant, location=StockLocation.objects.get(is_default=True),
                                      quantity=stock)
        return variant


def variant_stock(vendor: Vendor, variant_id: int) -> int:
    from catalog.models import Variant

    with schema_context(vendor.store.schema_name):
        return Variant.objects.values_list("stock", flat=True).get(pk=variant_id)


def variant_update(vendor: Vendor, variant_id: int, **changes: Any) -> None:
    from catalog.models import Variant

    with schema_context(vendor.store.schema_name):
        Variant.objects.filter(pk=variant_id).update(**changes)


FACTORY_DEFAULT_ZONE = "Everywhere (test default)"
TEST_ZONE = "Everywhere"


def _zone_input(name: str, method: Any) -> Any:
    from fulfillment.shipping.services import ZoneInput

    return ZoneInput(name=name, rest_of_world=True, methods=(method,))


def shipping_default_ensure(vendor: Vendor) -> None:
    """Every test vendor starts with one rest-of-the-world zone and a flat 4.90 standard rate, free
    from 50 (what most tests' prices assume); `shipping_rate` replaces it. Made again when a
    committing test left other settings in the (reused) schema."""
    from fulfillment.shipping.models import ShippingZone
    from fulfillment.shipping.services import MethodInput, shipping_zone_create

    with schema_context(vendor.store.schema_name):
        names = list(ShippingZone.objects.values_list("name", flat=True))
        if names == [FACTORY_DEFAULT_ZONE]:
            return
        ShippingZone.objects.all().delete()
        shipping_zone_create(data=_zone_input(FACTORY_DEFAULT_ZONE, MethodInput(
            name="Standard shipping", flat_amount=490, free_over_amount=5000)), actor=None)


def vendor_currency_set(vendor: Vendor, currency: str) -> Vendor:
    """The vendor sells and settles in `currency`: its shipping table (the default one included) is
    read and priced in the vendor's currency, so a vendor selling GBP items must be a GBP vendor."""
    Vendor.objects.filter(pk=vendor.pk).update(currency=currency)
    vendor.currency = currency
    return vendor


def shipping_rate(vendor: Vendor, *, name: str = "Standard", kind: str = "flat", base_amount: int = 500,
                  per_kg_amount: int = 0, free_over_amount: int | None = None, currency: str | None = None,
                  **method: Any) -> Any:
    """One more shipping method of the vendor's rest-of-the-world zone (the test default goes):
    flat, or by weight as a base plus `per_kg_amount` per started kilogram (as bands up to 100 kg).
    Amounts are in the vendor's currency; `currency` makes the vendor one of that currency first."""
    from fulfillment.shipping.models import ShippingZone
    from fulfillment.shipping.services import (
        BandInput,
        MethodInput,
        shipping_method_add,
        shipping_zone_create,
    )

    if currency is not None and currency != vendor.currency:
        vendor_currency_set(vendor, currency)
    bands: tuple[BandInput, ...] = ()
    if kind == "weight":
        bands = (BandInput(0, 1, base_amount), *(
            BandInput((kg - 1) * 1000 + 1, kg * 1000 + 1, base_amount + per_kg_amount * kg) for kg in range(1, 101)))
    data = MethodInput(name=name, rate_kind=kind, flat_amount=base_amount if kind == "flat" else 0, bands=bands,
                       free_over_amount=free_over_amount, **method)
    with schema_context(vendor.store.schema_name):
        ShippingZone.objects.filter(name=FACTORY_DEFAULT_ZONE).delete()
        zone = ShippingZone.objects.filter(name=TEST_ZONE).first()
        if zone is None:
            zone = shipping_zone_create(data=_zone_input(TEST_ZONE, data), actor=None)
            return zone.methods.get()
        return shipping_method_add(zone_id=zone.pk, data=data, actor=None)


# ---------------------------------------------------------------------------------------------
# Orders in the states the product reaches, made by the product's own services: checkout (prices,
# tax, commission, one sub-order per vendor, stock reserved in each vendor schema), then the
# service the `payment_intent.succeeded` webhook calls (status, ledger posting), without the
# emulator's webhook round trip. Tests about the payment path itself keep using that path.
# ---------------------------------------------------------------------------------------------
RETURN_URL = "http://marketplace.localhost/checkout/return/"


def _checkout(*, buyer: Any, items: Any, address: Any, shipping_choice: dict[int, int | None],
              token: str) -> Any:
    from orders import services

    cart = services.cart_for(user=buyer, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return services.checkout_submit(user=buyer, address=address, shipping_choice=shipping_choice,
                                    checkout_token=token)


def _intent_recorded(order: Any) -> dict[str, Any]:
    """The succeeded PaymentIntent's JSON as Stripe sends it, without a charge (no gateway call)."""
    from orders.models import Order

    intent_id = f"pi_factory_{order.pk}"
    # What `order_payment_start` does once the intent exists.
    Order.objects.filter(pk=order.pk, payment_intent_id="").update(payment_intent_id=intent_id)
    return {
        "id": intent_id, "object": "payment_intent", "status": "succeeded",
        "amount": order.total_amount, "currency": order.currency.lower(), "latest_charge": None,
        "transfer_group": order.transfer_group, "created": int(time.time()),
        "metadata": {"order_id": str(order.pk), "order_number": order.number, "buyer_id": str(order.buyer_id)},
    }


def _intent_on_emulator(order: Any, card: str) -> dict[str, Any]:
    """A real PaymentIntent paid with `card` on the emulator the gateway points at (refunds,
    transfers and disputes of the order then work against it), read back as Stripe's JSON."""
    from orders import services
    from payments import gateway

    services.order_payment_start(order=order, return_url=RETURN_URL)
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=card)
    intent = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)
    assert intent["status"] == "succeeded", f"{card} did not pay: {intent['status']}"
    return intent


def order_pay(order: Any, *, payment: str = "recorded", card: str = "pm_card_visa") -> Any:
    """Mark a pending order paid as the `payment_intent.succeeded` webhook would (PaymentRecord,
    order and sub-orders paid, the captured payment posted to the ledger). `payment="recorded"`
    needs no Stripe; `payment="emulator"` pays a real PaymentIntent on the emulator."""
    from orders.services import order_payment_succeeded

    intent = _intent_on_emulator(order, card) if payment == "emulator" else _intent_recorded(order)
    PaymentRecordFactory(intent=intent)
    order_payment_succeeded(intent_data=intent, event_id=f"evt_factory_{order.pk}")
    order.refresh_from_db()
    return order


def vendor_order_copies(order: Any) -> None:
    """The vendors' fulfilment copies of a paid order (the `vendor_order_copy` task body, run here)."""
    from fulfillment.tasks import vendor_order_copy

    for sub in order.sub_orders.all():
        vendor_order_copy(sub.pk)


def _ship(order: Any, *, everything: bool) -> None:
    """Ship through the vendor's dashboard service, then sync the sub-order as the task does."""
    from fulfillment.models import VendorOrder
    from fulfillment.services import vendor_order_ship
    from orders.services import sub_order_sync

    for sub in order.sub_orders.select_related("vendor__store"):
        with schema_context(sub.vendor.store.schema_name):
            copy = VendorOrder.objects.get(sub_order_id=sub.pk)
            lines = list(copy.lines.all())
            quantities = {line.pk: line.open_quantity for line in lines} if everything else {lines[0].pk: 1}
            vendor_order_ship(vendor_order_id=copy.pk, quantities=quantities, carrier="DHL",
                              tracking_number=f"JD{sub.pk:018d}")
        sub_order_sync(sub_order_id=sub.pk)
        if not everything:
            break
    order.refresh_from_db()


class PaymentRecordFactory(factory.django.DjangoModelFactory):
    """Our copy of a PaymentIntent's state, as `payment_record_apply_event` writes it from `intent` JSON."""

    class Meta:
        model = PaymentRecord

    class Params:
        intent: dict[str, Any] = {}

    payment_intent_id = factory.LazyAttribute(lambda o: o.intent["id"])
    status = factory.LazyAttribute(lambda o: o.intent.get("status", "succeeded"))
    amount = factory.LazyAttribute(lambda o: int(o.intent["amount"]))
    currency = factory.LazyAttribute(lambda o: str(o.intent["currency"]).upper())
    latest_charge = factory.LazyAttribute(lambda o: o.intent.get("latest_charge") or "")
    last_event_created = factory.LazyAttribute(lambda o: int(o.intent.get("created") or time.time()))
    last_event_id = factory.LazyAttribute(lambda o: f"evt_factory_{o.intent['id']}")


class OrderFactory(factory.Factory):
    """An order of `items` [(vendor, variant, quantity)] made by the real checkout, in `status`.

    `status`: pending_payment (stock reserved), paid, partially_fulfilled (one unit shipped) or
    fulfilled. `payment`: "recorded" (no Stripe) or "emulator" (a real PaymentIntent, for tests
    that refund, transfer or dispute). `vendor_copies`: also make the vendors' fulfilment copies
    (always made once something ships).
    """

    class Meta:
        model = Order

    buyer = factory.SubFactory(UserFactory)
    items: Any = ()
    address = ADDRESS_DE
    shipping_choice: dict[int, int | None] = {}
    checkout_token = factory.Sequence(lambda n: f"factory-{n}")
    status = Order.Status.PAID
    payment = "recorded"
    card = "pm_card_visa"
    vendor_copies = False

    @classmethod
    def _build(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("OrderFactory creates through the services: use create(), not build().")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        if not kwargs["items"]:
            raise TypeError("OrderFactory needs items=[(vendor, variant, quantity), ...]")
        status = kwargs["status"]
        order = _checkout(buyer=kwargs["buyer"], items=kwargs["items"], address=kwargs["address"],
                          shipping_choice=kwargs["shipping_choice"], token=kwargs["checkout_token"])
        if status == Order.Status.PENDING_PAYMENT:
            return order
        order_pay(order, payment=kwargs["payment"], card=kwargs["card"])
        shipping = status in (Order.Status.PARTIALLY_FULFILLED, Order.Status.FULFILLED)
        if kwargs["vendor_copies"] or shipping:
            vendor_order_copies(order)
            order.refresh_from_db()
        if shipping:
            _ship(order, everything=status == Order.Status.FULFILLED)
        assert order.status == status, (order.status, status)
        return order


class VendorOrderFactory(factory.Factory):
    """The vendor's fulfilment copy of `sub_order` in its vendor schema, as the copy task makes it."""

    class Meta:
        model = VendorOrder

    sub_order: Any = None

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        from fulfillment.tasks import vendor_order_copy

        sub = kwargs["sub_order"]
        vendor_order_copy(sub.pk)
        sub.refresh_from_db()
        with schema_context(sub.vendor.store.schema_name):
            return VendorOrder.objects.get(sub_order_id=sub.pk)


def paid_orders(buyer: Any, *, payment: str = "emulator") -> Any:
    """`make((vendor, variant, quantity), ..., copies=True, card=...)`: the body of a `paid_order`
    fixture that uses OrderFactory (with the vendors' copies unless `copies=False`)."""

    def make(*items: Any, copies: bool = True, card: str = "pm_card_visa", token: str | None = None) -> Any:
        extra = {"checkout_token": token} if token else {}
        return OrderFactory(buyer=buyer, items=items, payment=payment, card=card, vendor_copies=copies, **extra)

    return make
