"""Claims through the services: open, accept (refund now or after the return), reject, escalate,
arbitration for each liability, partial and repeated refunds up to what was paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes import services
from disputes.errors import (
    ClaimInvalid,
    ClaimNotAllowed,
    ClaimStateConflict,
    InvalidAttachment,
    OverRefund,
)
from disputes.models import Claim, ClaimRefund, VendorClaimPolicy
from disputes.services import transitions
from orders.models import OrderLine
from payments import gateway
from payouts.ledger.selectors import vendor_balances
from payouts.models import JournalEntry
from tests.factories.orders import paid_orders, sellable_variant, variant_stock
from tests.support.ledger import ledger_balanced

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _open(buyer, order, vendor, qty=1, reason="damaged", **kwargs):
    sub = order.sub_orders.get(vendor=vendor)
    line = sub.lines.first()
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason=reason,
                               description="Broken on arrival", lines={line.pk: qty}, **kwargs)


def _stripe_refunded(order) -> int:
    intent = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)
    from payments.gateway import _client

    charge = _client().v1.charges.retrieve(intent["latest_charge"])
    return int(charge["amount_refunded"])


def test_open_claim_with_photo(buyer, vendor_a, paid_order, django_capture_on_commit_callbacks, mailoutbox):
    variant = sellable_variant(vendor_a, price=1000, stock=5)
    order = paid_order((vendor_a, variant, 2))
    photo = SimpleUploadedFile("p.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        claim = _open(buyer, order, vendor_a, qty=2, attachments=[photo])
    assert claim.status == Claim.Status.OPEN
    assert claim.lines.get().quantity == 2
    assert claim.attachments.get().content_type == "image/png"
    assert claim.respond_by > timezone.now() + timedelta(days=2)
    assert any(owner.email in m.to for m in mailoutbox for owner in [vendor_a.memberships.get(role="owner").user])


def test_bad_attachment_and_bad_input_write_nothing(buyer, vendor_a, paid_order):
    variant = sellable_variant(vendor_a, price=1000, stock=5)
    order = paid_order((vendor_a, variant, 1))
    fake = SimpleUploadedFile("x.png", b"MZ not an image at all", content_type="image/png")
    with pytest.raises(InvalidAttachment):
        _open(buyer, order, vendor_a, attachments=[fake])
    with pytest.raises(ClaimInvalid) as excinfo:
        _open(buyer, order, vendor_a, qty=5)
    assert "line_" in next(iter(excinfo.value.fields))
    with pytest.raises(ClaimInvalid):
        _open(buyer, order, vendor_a, reason="because")
    assert not Claim.objects.exists()


def test_claim_after_window_and_unpaid_refused(buyer, vendor_a, paid_order):
    variant = sellable_variant(vendor_a, price=1000, stock=5)
    order = paid_order((vendor_a, variant, 1))
    VendorClaimPolicy.objects.create(vendor=vendor_a, return_window_days=14)
    with pytest.raises(ClaimNotAllowed) as excinfo:
        _open(buyer, order, vendor_a, reason="return", now=timezone.now() + timedelta(days=15))
    assert excinfo.value.code == "claim_window_closed"
    # Within the vendor's 14 days it works.
    assert _open(buyer, order, vendor_a, reason="return", now=timezone.now() + timedelta(days=13)).pk
    order.status = "pending_payment"
    order.save(update_fields=["status"])
    Claim.objects.update(status="closed")
    with pytest.raises(ClaimNotAllowed) as excinfo:
        _open(buyer, order, vendor_a)
    assert excinfo.value.code == "order_not_paid"


def test_second_active_claim_on_same_vendor_part_conflicts(buyer, vendor_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    _open(buyer, order, vendor_a)
    with pytest.raises(ClaimStateConflict):
        _open(buyer, order, vendor_a)


def test_vendor_accepts_full_refund_without_return(buyer, vendor_a, owner_a, paid_order):
    variant = sellable_variant(vendor_a, price=1200, stock=5)
    order = paid_order((vendor_a, variant, 2))
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    claim = _open(buyer, order, vendor_a, qty=2)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESOLVED_REFUND_FULL
    assert claim.refunded_amount == 2400
    assert _stripe_refunded(order) == 2400
    line = OrderLine.objects.get(sub_order__order=order)
    assert line.refunded_amount == 2400
    refund = ClaimRefund.objects.get(claim=claim)
    after = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    # The vendor bears the refund net of the commission the platform gives back (policy: refunded).
    assert before["pending"] - after["pending"] == 2400 - refund.commission_refunded
    assert refund.commission_refunded == line.commission_amount
    assert JournalEntry.objects.filter(kind="refund", reference_id=refund.stripe_refund_id).count() == 1
    assert ledger_balanced()


def test_commission_kept_policy(buyer, vendor_a, owner_a, paid_order, settings):
    settings.DISPUTES_COMMISSION_ON_REFUND = "kept"
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2000), 1))
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    claim = _open(buyer, order, vendor_a)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    after = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert before["pending"] - after["pending"] == 2000
    assert ClaimRefund.objects.get().commission_refunded == 0


def test_accept_with_return_restocks_then_refunds(buyer, vendor_a, owner_a, paid_order):
    variant = sellable_variant(vendor_a, price=1000, stock=5)
    order = paid_order((vendor_a, variant, 3))
    assert variant_stock(vendor_a, variant.pk) == 2
    claim = _open(buyer, order, vendor_a, qty=2, reason="return")
    with pytest.raises(ClaimInvalid):
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, return_required=True)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, return_required=True,
                          return_instructions="Ship to Alpha, Lagerstr. 1", return_carrier="DHL",
                          return_tracking_number="RET123")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VENDOR_ACCEPTED
    assert claim.return_status == "awaited"
    assert claim.refunded_amount == 0 and _stripe_refunded(order) == 0
    services.claim_return_received(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESOLVED_REFUND_FULL
    assert variant_stock(vendor_a, variant.pk) == 4
    assert _stripe_refunded(order) == 2000
    with pytest.raises(ClaimStateConflict):
        services.claim_return_received(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    assert variant_stock(vendor_a, variant.pk) == 4


def test_partial_then_repeated_refunds_never_exceed_paid(buyer, vendor_a, owner_a, admin_user, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _open(buyer, order, vendor_a)
    with pytest.raises(OverRefund):
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=1001)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=300)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESOLVED_REFUND_PARTIAL
    # A second claim on the same line can only get what is left (700), summed over refunds.
    second = _open(buyer, order, vendor_a, reason="not_as_described")
    services.claim_reject(claim_id=second.pk, vendor=vendor_a, user=owner_a, reason="Works as described")
    services.claim_escalate(claim_id=second.pk, user=buyer)
    with pytest.raises(OverRefund):
        services.claim_decide(claim_id=second.pk, admin=admin_user, outcome="refund_partial", amount=701,
                              liability="vendor")
    services.claim_decide(claim_id=second.pk, admin=admin_user, outcome="refund_full", liability="vendor")
    second.refresh_from_db()
    assert second.refunded_amount == 700
    assert OrderLine.objects.get(sub_order__order=order).refunded_amount == 1000
    assert _stripe_refunded(order) == 1000
    # Fully refunded now: a new claim on the line is refused.
    with pytest.raises(ClaimNotAllowed) as excinfo:
        _open(buyer, order, vendor_a)
    assert excinfo.value.code == "line_already_refunded"
    assert ledger_balanced()


def test_reject_then_buyer_escalates(buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _open(buyer, order, vendor_a)
    with pytest.raises(ClaimStateConflict):
        services.claim_escalate(claim_id=claim.pk, user=buyer)
    with pytest.raises(ClaimInvalid):
        services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason=" ")
    services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="Not damaged in photos")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ESCALATED and claim.escalated_by == "buyer"
    assert list(claim.events.values_list("action", flat=True)) == ["opened", "vendor_rejected", "escalated"]


@pytest.mark.parametrize(("liability", "vendor_amount", "vendor_bears"), [
    ("vendor", None, 1500), ("platform", None, 0), ("split", "600", 600),
])
def test_arbitration_for_each_liability(buyer, vendor_a, owner_a, admin_user, paid_order, settings,
                                        liability, vendor_amount, vendor_bears):
    settings.DISPUTES_COMMISSION_ON_REFUND = "kept"
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1500), 1))
    claim = _open(buyer, order, vendor_a)
    services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="refund_full", liability=liability,
                          vendor_amount=vendor_amount, note="Photos show damage")
    claim.refresh_from_db()
    after = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert claim.status == Claim.Status.RESOLVED_REFUND_FULL
    assert claim.decided_by == admin_user and claim.liability == liability
    assert before["pending"] - after["pending"] == vendor_bears
    refund = ClaimRefund.objects.get(claim=claim)
    assert (refund.vendor_amount, refund.platform_amount) == (vendor_bears, 1500 - vendor_bears)
    assert claim.events.filter(action="decision", actor=admin_user).exists()
    assert ledger_balanced()


def test_admin_deny_and_second_decision_conflicts(buyer, vendor_a, owner_a, admin_user, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _open(buyer, order, vendor_a)
    services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="deny", note="No evidence")
    with pytest.raises(ClaimStateConflict) as excinfo:
        services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="refund_full", liability="vendor")
    assert excinfo.value.code == "claim_already_decided"
    assert _stripe_refunded(order) == 0


def test_sla_escalation_only_when_due(buyer, vendor_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _open(buyer, order, vendor_a)
    assert services.claims_escalate_overdue() == []
    assert services.claims_escalate_overdue(now=claim.respond_by + timedelta(minutes=1)) == [claim.pk]
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ESCALATED and claim.escalated_by == "sla"


def test_business_days_skip_weekends():
    friday = timezone.datetime(2026, 11, 27, 10, tzinfo=timezone.get_current_timezone())
    assert services.add_business_days(friday, 3).weekday() == 2  # Wednesday
    assert (services.add_business_days(friday, 3) - friday).days == 5


def test_transition_table_walked_completely():
    """Every pair of states: allowed exactly when the table says so, through `_transition`."""
    statuses = list(Claim.Status.values)
    assert set(services.TRANSITIONS) == set(statuses)
    for source in statuses:
        for target in statuses:
            claim = Claim(status=source)
            claim.save = lambda **kwargs: None  # type: ignore[method-assign]  # only the check runs
            allowed = target in services.TRANSITIONS[source]
            try:
                transitions._transition(claim, target, actor=None, action="t")
            except ClaimStateConflict:
                assert not allowed, (source, target)
            except ValueError:  # the audit row needs a saved claim: the check had passed
                assert allowed, (source, target)
                assert claim.status == target
            else:  # pragma: no cover
                raise AssertionError("unsaved claims cannot get an audit row")
    for terminal in ("resolved_refund_full", "resolved_refund_partial", "resolved_denied", "closed"):
        assert services.TRANSITIONS[terminal] == frozenset()


def test_open_claim_holds_the_vendor_transfer_until_resolved(buyer, vendor_a, owner_a, admin_user, paid_order):
    from payouts.models import Transfer

    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _open(buyer, order, vendor_a)
    transfer = Transfer.objects.get(sub_order__order=order)
    assert transfer.status == "held" and f"claim {claim.number}" in transfer.hold_reasons
    services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    transfer.refresh_from_db()
    assert transfer.status == "held"
    services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="deny")
    transfer.refresh_from_db()
    assert transfer.status == "pending" and not transfer.hold_reasons


def test_over_refund_messages_show_money_in_the_active_locale(buyer, vendor_a, owner_a, admin_user, paid_order):
    """"At most 123456 can be refunded" was minor units: people read 1,234.56 EUR (or 1.234,56 EUR)."""
    from django.db import transaction
    from django.utils import translation

    order = paid_order((vendor_a, sellable_variant(vendor_a, price=123456), 1))
    claim = _open(buyer, order, vendor_a)
    assert services.claim_refundable(claim) == 123456
    with pytest.raises(OverRefund) as raised:
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=123457)
    assert raised.value.message == "At most 1,234.56 EUR can be refunded on this claim."
    with translation.override("de"), pytest.raises(OverRefund) as raised:
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=123457)
    assert "1.234,56 EUR" in raised.value.message and "123456" not in raised.value.message
    with translation.override("fr"), pytest.raises(OverRefund) as raised, transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        services.claim_refund_issue(claim=locked, amount=200000, liability="vendor", vendor_amount=200000,
                                    actor=owner_a)
    assert "1\xa0234,56 EUR" in raised.value.message and "123456" not in raised.value.message
