"""90 days of a demo store's orders, placed and paid through the real flow on the Stripe emulator.

Each order goes through the cart, checkout, a PaymentIntent confirmed on the emulator, the paid
order's ledger entry, the vendor's copy, a shipment and the transfer, with the clock set back to
the day it was placed (time-machine), so dates, ledger entries and charts tell one story. Nothing
of money is written here directly: only services. The follow-up tasks run inline meanwhile, and
the emails of those past days are not sent.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from demo.catalog import catalog_plan
from demo.stores import STORES_BY_SLUG, Store

logger = logging.getLogger(__name__)

ORDERS_PER_STORE = 15
DAYS = 90
BUYERS_PER_STORE = 4
CLAIM_STORE = "acme"  # the demo buyer's open claim (a damaged item), awaiting the vendor's answer
CHARGEBACK_STORE = "globex"  # a card dispute, evidence due
PAYOUT_STORE = "acme"
# The demo buyer's orders, one in each of these stores, five days ago. Few on purpose: the
# velocity rules count a buyer's orders from the database, and the stores fill in parallel, each
# along its own 90 days (one store's past is another's future).
DEMO_BUYER_STORES = ("acme", "globex", "nordlys", "thistle")


@dataclass(frozen=True)
class OrderPlan:
    token: str
    days_ago: int
    minute_of_day: int
    buyer: int  # index into the store's buyers; 0 is the demo buyer (buyer@example.com)
    lines: tuple[tuple[str, int], ...]  # (SKU, quantity)


def history_plan(store: Store, *, orders: int, products: int, days: int = DAYS) -> list[OrderPlan]:
    """The store's orders, oldest first, the same on every run; the last one is five days ago (the
    demo buyer's in `DEMO_BUYER_STORES`: the order the demo claim is about)."""
    rng = random.Random(f"history:{store.slug}")
    skus = [variant["sku"] for plan in catalog_plan(store, products=products) for variant in plan.variants
            if variant["stock"] >= 20]
    plans = []
    for index in range(orders):
        last = index == orders - 1
        # More orders lately: a shop that grows (and a chart with a slope).
        days_ago = 5 if last else min(days - 1, int(days * rng.random() ** 1.4))
        count = min(len(skus), rng.choice([1, 1, 1, 2, 2, 3]))
        lines = tuple((sku, rng.choice([1, 1, 1, 2])) for sku in rng.sample(skus, count))
        plans.append(OrderPlan(token=f"demo-{store.slug}-{index:03d}", days_ago=days_ago,
                               minute_of_day=rng.randint(7 * 60, 22 * 60),
                               buyer=0 if last and store.slug in DEMO_BUYER_STORES else rng.randint(1, BUYERS_PER_STORE),
                               lines=lines))
    return sorted(plans, key=lambda plan: (-plan.days_ago, plan.minute_of_day, plan.token))


def _buyers(store: Store) -> list[Any]:
    """The demo buyer and a few of the store's country, with accounts older than the history."""
    import time_machine
    from faker import Faker

    from accounts.models import User
    from demo.seed import demo_user_ensure

    fake = Faker(store.locale)
    fake.seed_instance(f"buyers:{store.slug}")
    buyers = [User.objects.get(email="buyer@example.com")]
    with time_machine.travel(timezone.now() - dt.timedelta(days=DAYS + 30), tick=False):
        for index in range(1, BUYERS_PER_STORE + 1):
            name = fake.name()
            email = f"{store.slug}.buyer{index}@example.com"
            buyers.append(demo_user_ensure(email, full_name=name))
    return buyers


def _address(store: Store, buyer: Any, seed: str) -> Any:
    from faker import Faker

    from orders.addresses import POSTAL_CODE_PATTERNS, Address, address_validate
    from orders.errors import InvalidAddress

    fake = Faker(store.locale)
    fake.seed_instance(seed)
    values = {"name": buyer.full_name or fake.name(), "line1": fake.street_address()[:100], "line2": "",
              "city": fake.city()[:100], "region": "", "postal_code": fake.postcode(),
              "country": store.country}
    try:
        return address_validate(values)
    except InvalidAddress:
        # Faker's postcode is not always in the shape the checkout asks for.
        values["postal_code"] = POSTAL_CODE_PATTERNS[store.country][1]
        return Address(**values)


@contextmanager
def _past_day(when: dt.datetime) -> Iterator[None]:
    """The clock at `when` (moving on from there), follow-up tasks inline, and no email sent."""
    import time_machine
    from celery import current_app
    from django.test.utils import override_settings

    # Inline, a task named in a chain must be registered here (a worker imports every app's).
    current_app.loader.import_default_modules()
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        with time_machine.travel(when, tick=True), override_settings(
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        current_app.conf.task_always_eager = eager


def _order_place(vendor: Any, plan: OrderPlan, buyer: Any, address: Any, *, card: str = "pm_card_visa") -> Any:
    from catalog.models import Variant
    from orders import services as order_services
    from payments import gateway

    assert vendor.store is not None
    with schema_context(vendor.store.schema_name):
        variants = dict(Variant.objects.filter(sku__in=[sku for sku, _q in plan.lines]).values_list("sku", "pk"))
    cart = order_services.cart_for(user=buyer, create=True)
    assert cart is not None  # create=True
    for item in list(cart.items.all()):  # left by an interrupted run
        order_services.cart_item_remove(cart=cart, item_id=item.pk)
    for sku, quantity in plan.lines:
        if sku in variants:
            order_services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variants[sku], quantity=quantity)
    order = order_services.checkout_submit(user=buyer, address=address, shipping_choice={},
                                           checkout_token=plan.token)
    order_services.order_payment_start(order=order)
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=card)
    order_services.order_payment_succeeded(
        intent_data=gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id))
    return order


def _order_ship(vendor: Any, order: Any, rng: random.Random) -> bool:
    from fulfillment.errors import VendorOrderOnHold
    from fulfillment.models import VendorOrder
    from fulfillment.services import vendor_order_create, vendor_order_ship
    from orders.models import SubOrder

    sub = SubOrder.objects.get(order=order, vendor=vendor)
    with schema_context(vendor.store.schema_name):
        copy, _created = vendor_order_create(sub_order_id=sub.pk)
        if copy.status != VendorOrder.Status.NEW:
            return False
        serial = rng.randint(10**9, 10**10)
        # A number in each carrier's format (fulfillment/carriers.py), so the buyer's link works.
        carrier, number = rng.choice([("dhl", f"JD{serial:018d}"), ("dpd", f"{serial:014d}"),
                                      ("ups", f"1Z{serial:016d}"), ("gls", f"{serial:011d}"),
                                      ("postnl", f"3SDEMO{serial % 10**7:07d}")])
        try:
            vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: line.quantity for line in copy.lines.all()},
                              carrier=carrier, tracking_number=number)
        except VendorOrderOnHold:
            return False  # held for the fraud review: it waits in the ops queue, as it should
    return True


def store_history_seed(*, slug: str, orders: int = ORDERS_PER_STORE, products: int,
                       limit: int | None = None) -> dict[str, int]:
    """Place the store's planned orders that do not exist yet (at most `limit` in this call: the
    task does a few at a time, so the worker keeps up with webhooks and everything else
    meanwhile); once all are placed, its claim, chargeback or payout when it is the store for one.
    Returns what it made, with `left`: the orders still to place. Needs the Stripe emulator."""
    from common.exceptions import ApplicationError
    from orders.models import Order
    from payments import gateway
    from payouts import transfers
    from payouts.demo import demo_account_onboard
    from vendors.models import Vendor

    if not gateway.on_emulator():
        logger.info("demo orders need the Stripe emulator; skipped")
        return {"orders": 0, "left": 0}
    store = STORES_BY_SLUG[slug]
    vendor = Vendor.objects.select_related("store").get(slug=slug)
    demo_account_onboard(vendor)
    buyers = _buyers(store)
    done = set(Order.objects.filter(checkout_token__startswith=f"demo-{slug}-").values_list("checkout_token", flat=True))
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    made = 0
    last_order = None
    pending = [plan for plan in history_plan(store, orders=orders, products=products) if plan.token not in done]
    for plan in pending[:limit]:
        rng = random.Random(plan.token)
        when = today - dt.timedelta(days=plan.days_ago, minutes=-plan.minute_of_day)
        buyer = buyers[plan.buyer]
        try:
            with _past_day(min(when, timezone.now() - dt.timedelta(minutes=5))):
                last_order = _order_place(vendor, plan, buyer, _address(store, buyer, plan.token))
                transfers.transfers_create_for_order(order_id=last_order.pk)
        except ApplicationError as exc:
            # Refused as a buyer's checkout would be (a rule, stock): the rest of the history goes on.
            logger.warning("demo order %s not placed: %s", plan.token, exc)
            continue
        if plan.days_ago >= 2:
            with _past_day(when + dt.timedelta(hours=rng.randint(18, 40))):
                _order_ship(vendor, last_order, rng)
        made += 1
    result = {"orders": made, "left": len(pending[limit:]) if limit is not None else 0}
    if result["left"]:
        return result
    if slug == CLAIM_STORE:
        result["claims"] = _claim_seed(vendor)
    if slug == CHARGEBACK_STORE:
        result["chargebacks"] = _chargeback_seed(vendor)
    if slug == PAYOUT_STORE:
        from payouts.demo import demo_payout_seed
        from payouts.models import Payout

        transfers.transfers_release_due()
        result["payouts"] = 0 if Payout.objects.filter(vendor=vendor).exists() else demo_payout_seed(vendor=vendor)
    return result


def _claim_seed(vendor: Any) -> int:
    """The demo buyer's newest order here: one item arrived damaged (open, the vendor to answer)."""
    from disputes.models import Claim
    from disputes.services import claim_open
    from orders.models import Order, OrderLine

    if Claim.objects.filter(vendor=vendor).exists():
        return 0
    order = (Order.objects.filter(buyer__email="buyer@example.com", sub_orders__vendor=vendor, paid_at__isnull=False)
             .order_by("-paid_at").first())
    if order is None:
        return 0
    line = OrderLine.objects.filter(sub_order__order=order, sub_order__vendor=vendor).order_by("pk").first()
    assert line is not None  # a paid order has lines
    claim_open(buyer=order.buyer, order_id=order.pk, sub_order_id=line.sub_order_id, reason="damaged",
               description="The box arrived crushed and one corner of the item is cracked. Photos on request.",
               lines={line.pk: 1})
    return 1


def _chargeback_seed(vendor: Any) -> int:
    """A card dispute on one of the store's paid orders, opened on the emulator as the bank would;
    the chargeback case comes with its webhook (`charge.dispute.created`), like any other."""
    from disputes.models import Chargeback
    from orders.models import Order
    from payments import gateway

    if Chargeback.objects.filter(order__sub_orders__vendor=vendor).exists():
        return 0
    order = (Order.objects.filter(sub_orders__vendor=vendor, paid_at__isnull=False,
                                  checkout_token__startswith=f"demo-{vendor.slug}-")
             .exclude(buyer__email="buyer@example.com").order_by("-paid_at").first())
    if order is None:
        return 0
    charge_id = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)["latest_charge"]
    if gateway.charge_retrieve_raw(charge_id=charge_id).get("disputed"):
        return 0  # opened by an earlier run; its webhook brings the case
    request = urllib.request.Request(
        f"{gateway.api_base().rstrip('/')}/_emulator/charges/{charge_id}/dispute",
        data=json.dumps({"reason": "product_not_received"}).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    # The URL is the configured STRIPE_API_BASE, checked to be the emulator above.
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        json.loads(response.read())
    return 1
