"""Demo money for `make run`: a platform commission rule, and (once the Stripe emulator runs) a few
paid orders with their transfers and a payout, so the Money page and finance reports show data
that reconciles to zero (`manage.py seed_demo_money`, idempotent)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)

DEMO_RATE_BP = 1000  # 10 %


def demo_commission_rule_seed() -> None:
    """A platform default rule per demo currency (10 %), unless one is already valid now."""
    from payouts.models import CommissionRule
    from vendors.models import Vendor

    now = timezone.now()
    for currency in sorted(set(Vendor.objects.values_list("currency", flat=True)) | {"EUR"}):
        exists = CommissionRule.objects.filter(
            scope=CommissionRule.Scope.PLATFORM, currency=currency, valid_from__lte=now,
        ).exclude(valid_to__lte=now).exists()
        if not exists and not CommissionRule.objects.filter(scope="platform", currency=currency).exists():
            CommissionRule.objects.create(
                scope=CommissionRule.Scope.PLATFORM, currency=currency, rate_bp=DEMO_RATE_BP,
                valid_from=now - dt.timedelta(days=365), note="Demo platform default",
            )


def demo_account_onboard(vendor: Any) -> str:
    """The vendor's connected account on the emulator, created and onboarded when missing."""
    from payments import gateway
    from payments.errors import GatewayError
    from vendors.models import Vendor

    if vendor.stripe_account_id:
        try:
            if gateway.account_retrieve(account_id=vendor.stripe_account_id).payouts_enabled:
                return vendor.stripe_account_id
        except GatewayError:
            pass
    account = gateway.account_create(vendor_id=vendor.pk, country=vendor.country,
                                     email=f"owner@{vendor.slug}.example.com", business_name=vendor.name)
    # Saved at once: the account's webhooks are on their way, and name an account we must know.
    Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account.id)
    request = urllib.request.Request(
        f"{gateway.api_base().rstrip('/')}/_emulator/accounts/{account.id}/complete_onboarding",
        data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    # The URL is the configured STRIPE_API_BASE: the emulator, for demo data only.
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310
        json.loads(response.read() or b"{}")
    Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account.id, charges_enabled=True,
                                               payouts_enabled=True)
    vendor.stripe_account_id = account.id
    return account.id


def _first_variant(vendor: Any) -> Any:
    from catalog.models import Variant

    with schema_context(vendor.store.schema_name):
        return (Variant.objects.filter(product__status="active", stock__gte=5, currency=vendor.currency)
                .order_by("id").first())


def demo_money_seed(*, orders: int = 3) -> dict[str, int]:
    """Paid demo orders through the real gateway (emulator), their transfers, and one payout."""
    from accounts.models import User
    from orders import services as order_services
    from orders.addresses import Address
    from orders.models import Order
    from payments import gateway
    from payouts import transfers
    from vendors.models import Vendor

    demo_commission_rule_seed()
    if not gateway.on_emulator():
        logger.info("demo money needs the Stripe emulator; skipped")
        return {"orders": 0}
    buyer = User.objects.filter(email="buyer@example.com").first()
    vendors = list(Vendor.objects.filter(status="active", store__isnull=False, currency="EUR")
                   .select_related("store").order_by("pk")[:2])
    if buyer is None or not vendors:
        return {"orders": 0}
    for vendor in vendors:
        demo_account_onboard(vendor)
    address = Address(name="Bea Buyer", line1="Hauptstr. 1", line2="", city="Berlin", region="",
                      postal_code="10115", country="DE")
    made = 0
    for index in range(orders):
        token = f"demo-money-{index}"
        if Order.objects.filter(buyer=buyer, checkout_token=token).exists():
            continue
        cart = order_services.cart_for(user=buyer, create=True)
        assert cart is not None  # create=True
        for vendor in vendors[: 1 + index % len(vendors)] if index else vendors:
            variant = _first_variant(vendor)
            if variant is not None:
                order_services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk,
                                             quantity=1 + index % 2)
        order = order_services.checkout_submit(user=buyer, address=address, shipping_choice={},
                                               checkout_token=token)
        order_services.order_payment_start(order=order, return_url="http://marketplace.localhost/")
        order.refresh_from_db()
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
        order_services.order_payment_succeeded(
            intent_data=gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id))
        transfers.transfers_create_for_order(order_id=order.pk)
        made += 1
    transfers.transfers_release_due()
    if made:
        demo_payout_seed(vendor=vendors[0])
    return {"orders": made}


def demo_payout_seed(*, vendor: Any) -> int:
    """One payout of the vendor's available connected balance, recorded as its webhook would be
    (none when nothing is available). Returns how many payouts it made."""
    from payments import gateway
    from payouts.ledger.selectors import vendor_balances
    from payouts.payouts import payout_record_apply

    available = vendor_balances(vendor_id=vendor.pk, currency=vendor.currency)["available"]
    if available <= 0:
        return 0
    payout = gateway.payout_create(key=f"demo:{vendor.pk}:{timezone.now():%Y%m%d%H%M%S}",
                                   account_id=vendor.stripe_account_id, amount=available,
                                   currency=vendor.currency, metadata={"demo": "1"})
    current = gateway.payout_retrieve(payout_id=payout.id, account_id=vendor.stripe_account_id)
    payout_record_apply(
        data={"id": current.id, "amount": current.amount, "currency": current.currency,
              "status": current.status}, account_id=vendor.stripe_account_id,
        event_created=int(timezone.now().timestamp()))
    return 1
