"""A lost chargeback through real parts: the emulator delivers every event twice and shuffled,
signed intake stores each once, the Celery worker applies them, and the recovery task shrinks the
vendor's pending transfer. Nothing is applied twice and the ledger balances."""

from __future__ import annotations

import json
import urllib.request

import pytest

from disputes import services
from disputes.models import Chargeback
from payments.models import WebhookEvent
from payouts.models import JournalEntry, Transfer
from tests.factories.orders import sellable_variant
from tests.support.ledger import ledger_balanced
from tests.support.stripe import flush
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _control(emulator, path, body):
    request = urllib.request.Request(emulator.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_lost_chargeback_with_duplicate_shuffled_webhooks(task_worker, emulator, webhooks, vendor_a, admin_user,
                                                          settings):
    from orders import services as order_services
    from payments import gateway
    from payments.webhooks import webhook_event_receive
    from tests.factories import UserFactory
    from tests.support.addresses import ADDRESS_DE

    def intake(delivery) -> None:
        from django.db import connection

        try:
            webhook_event_receive(payload=delivery.payload, signature=delivery.signature)
        finally:
            connection.close()

    settings.PAYMENTS_WEBHOOK_RETRY_BASE_SECONDS = 0.1  # a dispute that overtakes the payment is retried soon
    settings.PAYMENTS_WEBHOOK_RETRY_MAX_SECONDS = 0.5
    webhooks.forward = intake
    _control(emulator, "/_emulator/webhooks/config", {"duplicate": 2, "reorder": True})
    buyer = UserFactory(email="cb-buyer@example.com")
    variant = sellable_variant(vendor_a, price=2500, stock=5)
    cart = order_services.cart_for(user=buyer, create=True)
    order_services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=1)
    order = order_services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token="cb")
    order_services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_createDispute")
    flush(emulator)
    chargeback = wait_until(lambda: Chargeback.objects.filter(payment_intent_id=order.payment_intent_id).first(),
                            message="chargeback opened")
    wait_until(lambda: Transfer.objects.filter(order=order, status="held").exists(), message="held")
    services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                        fields={"uncategorized_text": "losing_evidence"})
    flush(emulator)
    wait_until(lambda: Chargeback.objects.filter(pk=chargeback.pk, outcome="lost").exists(), message="lost")
    transfer = wait_until(lambda: Transfer.objects.filter(order=order, amount_reversed__gt=0).first(),
                          message="recovered by the worker")
    assert transfer.status != "held"
    assert transfer.amount_reversed == transfer.amount  # share + fee exceed the net: all of it is taken
    events = WebhookEvent.objects.filter(type__startswith="charge.dispute.")
    assert events.filter(duplicate_deliveries__gte=1).exists()
    wait_until(lambda: not events.exclude(status__in=["applied", "ignored"]).exists(), message="all applied")
    assert JournalEntry.objects.filter(kind="chargeback_opened").count() == 1
    assert JournalEntry.objects.filter(kind="chargeback_lost").count() == 1
    assert ledger_balanced()
