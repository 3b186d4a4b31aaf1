"""Transfer writes: one Transfer per paid vendor sub-order, its hold policy, release and reversals.

Money only moves in `transfer_execute`, under a row lock, with an idempotency key derived from the
order and vendor (`transfer:<order>:<vendor>`), so a retry, a duplicate task or a concurrent beat
never sends a sub-order's money twice. See docs/payouts.md for the state table.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.money import format_money_localized
from orders.currency import order_amount_of, settlement_of
from payments import gateway
from payments.errors import GatewayError, GatewayUnavailable, IdempotencyConflict
from payouts.errors import (
    PayoutPolicyInvalid,
    TransferNotFound,
    TransferReversalInvalid,
    TransferStateConflict,
)
from payouts.ledger.postings import post_fx_conversion, post_transfer, post_transfer_reversed
from payouts.models import HoldPolicy, Transfer, TransferEvent, TransferReversal, VendorPayoutPolicy

logger = logging.getLogger(__name__)

S = Transfer.Status

# Every allowed move; services check it, tests walk it (tests/payouts/test_transfers.py).
TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.HELD, S.RELEASED, S.REVERSED},
    S.HELD: {S.PENDING, S.REVERSED},
    S.RELEASED: {S.TRANSFERRED, S.FAILED, S.REVERSED},
    S.FAILED: {S.RELEASED, S.HELD, S.REVERSED},
    S.TRANSFERRED: {S.PARTIALLY_REVERSED, S.REVERSED},
    S.PARTIALLY_REVERSED: {S.PARTIALLY_REVERSED, S.REVERSED},
    S.REVERSED: set(),
}
NOT_SENT = (S.PENDING, S.HELD, S.FAILED, S.RELEASED)


def _move(transfer: Transfer, status: str, *, reason: str = "", actor: Any = None,
          data: dict[str, Any] | None = None) -> TransferEvent | None:
    """Check the move against TRANSITIONS, set it and record it. The caller holds the transfer's
    row lock and saves it (with its other fields) in the same transaction: a rolled-back attempt
    leaves no event. Staying put records nothing, except a move the table lists (another partial
    reversal)."""
    if status != transfer.status and status not in TRANSITIONS[transfer.status]:
        raise TransferStateConflict(
            _("A transfer cannot go from %(old)s to %(new)s.") % {"old": transfer.status, "new": status}
        )
    before, transfer.status = transfer.status, status
    if status == before and status not in TRANSITIONS[before]:
        return None
    user = actor if getattr(actor, "pk", None) else None
    return TransferEvent.objects.create(
        transfer=transfer, from_status=before, to_status=status, actor=user,
        actor_kind="staff" if user is not None else "system", reason=reason[:300], data=data or {},
    )


# ---------------------------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------------------------
def platform_hold_policy() -> tuple[str, int]:
    policy = getattr(settings, "PAYOUTS_HOLD_POLICY", HoldPolicy.IMMEDIATE)
    if policy not in HoldPolicy.values:
        policy = HoldPolicy.IMMEDIATE
    return policy, int(getattr(settings, "PAYOUTS_HOLD_DAYS", 7))


def hold_policy_for(*, vendor_id: int) -> tuple[str, int]:
    override = VendorPayoutPolicy.objects.filter(vendor_id=vendor_id).values_list(
        "hold_policy", "hold_days"
    ).first()
    return (override[0], override[1]) if override else platform_hold_policy()


@transaction.atomic
def vendor_payout_policy_set(
    *, vendor_id: int, hold_policy: str | None, hold_days: Any = 0, note: str = "", user: Any = None
) -> VendorPayoutPolicy | None:
    """Set (or with `hold_policy=None` remove) a vendor's override; pending transfers follow it."""
    from vendors.models import Vendor

    if not Vendor.objects.filter(pk=vendor_id).exists():
        raise PayoutPolicyInvalid(_("Unknown vendor."), fields={"vendor": [_("Unknown vendor.")]})
    if hold_policy is None or hold_policy == "":
        VendorPayoutPolicy.objects.filter(vendor_id=vendor_id).delete()
        policy = None
    else:
        if hold_policy not in HoldPolicy.values:
            raise PayoutPolicyInvalid(_("Choose a hold policy."), fields={"hold_policy": [_("Choose a hold policy.")]})
        try:
            days = int(hold_days or 0)
        except (TypeError, ValueError):
            days = -1
        if not 0 <= days <= 90:
            raise PayoutPolicyInvalid(_("Days must be between 0 and 90."),
                                      fields={"hold_days": [_("Days must be between 0 and 90.")]})
        policy, _created = VendorPayoutPolicy.objects.update_or_create(
            vendor_id=vendor_id,
            defaults={"hold_policy": hold_policy, "hold_days": days, "note": note[:300], "updated_by": user},
        )
    effective, days = hold_policy_for(vendor_id=vendor_id)
    for transfer in Transfer.objects.select_for_update().filter(
        vendor_id=vendor_id, status__in=[S.PENDING, S.HELD]
    ).select_related("sub_order", "order"):
        transfer.hold_policy = effective
        transfer.release_at = _release_at(transfer, effective, days)
        transfer.save(update_fields=["hold_policy", "release_at", "updated_at"])
    return policy


def _last_shipped_at(sub_order: Any) -> dt.datetime | None:
    times = [parse_datetime(str(item.get("shipped_at") or "")) for item in sub_order.tracking or []]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _release_at(transfer: Transfer, policy: str, days: int) -> dt.datetime | None:
    """When the funds may go out under `policy`; None while the condition is not met yet.

    "N days after delivery" counts from the sub-order's delivery (the carrier's delivered event or
    the vendor's hand-over). A part shipped in full whose delivery is never confirmed (a carrier
    without tracking) is not held forever: its last shipment plus the grace of
    PAYOUTS_DELIVERY_GRACE_DAYS stands in for the delivery (docs/adr/0079).
    """
    from orders.models import SubOrder

    sub_order = transfer.sub_order
    paid_at = transfer.order.paid_at or transfer.created_at or timezone.now()
    if policy == HoldPolicy.IMMEDIATE:
        return paid_at
    if sub_order.status not in (SubOrder.Status.FULFILLED, SubOrder.Status.DELIVERED):
        return None
    shipped_at = _last_shipped_at(sub_order) or sub_order.updated_at
    if policy == HoldPolicy.ON_SHIPMENT:
        return shipped_at
    if sub_order.status == SubOrder.Status.DELIVERED and sub_order.delivered_at is not None:
        return sub_order.delivered_at + dt.timedelta(days=days)
    grace = int(getattr(settings, "PAYOUTS_DELIVERY_GRACE_DAYS", 21))
    return shipped_at + dt.timedelta(days=days + grace)


# ---------------------------------------------------------------------------------------------
# creation
# ---------------------------------------------------------------------------------------------
def transfer_key(*, order_id: int, vendor_id: int) -> str:
    return f"transfer:{order_id}:{vendor_id}"


@transaction.atomic
def transfers_create_for_order(*, order_id: int) -> list[Transfer]:
    """One Transfer per sub-order of a paid order; a no-op until paid, and when they exist."""
    from orders.models import Order

    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or not order.is_paid:
        return []
    existing = {t.sub_order_id: t for t in Transfer.objects.filter(order_id=order.pk)}
    transfers = []
    for sub_order in order.sub_orders.all():
        transfer = existing.get(sub_order.pk)
        if transfer is None:
            policy, days = hold_policy_for(vendor_id=sub_order.vendor_id)
            transfer = Transfer(
                sub_order=sub_order, order=order, vendor_id=sub_order.vendor_id,
                # In the vendor's own currency, converted at checkout (docs/adr/0086).
                amount=sub_order.net_amount if sub_order.settlement_net_amount is None
                else sub_order.settlement_net_amount,
                currency=sub_order.settlement_currency or order.currency, hold_policy=policy,
                idempotency_key=transfer_key(order_id=order.pk, vendor_id=sub_order.vendor_id),
            )
            transfer.release_at = _release_at(transfer, policy, days)
            try:
                with transaction.atomic():
                    transfer.save()
                    TransferEvent.objects.create(transfer=transfer, from_status="", to_status=transfer.status,
                                                 reason=f"hold policy: {policy}")
            except IntegrityError:  # a concurrent call created it first
                transfer = Transfer.objects.get(sub_order_id=sub_order.pk)
        transfers.append(transfer)
    return transfers


def paid_orders_without_transfers(*, limit: int = 500) -> list[int]:
    from orders.models import Order

    paid = [Order.Status.PAID, Order.Status.PARTIALLY_FULFILLED, Order.Status.FULFILLED]
    return list(
        Order.objects.filter(status__in=paid, sub_orders__transfer__isnull=True)
        .order_by("paid_at").values_list("pk", flat=True).distinct()[:limit]
    )


@transaction.atomic
def transfer_refresh_for_sub_order(*, sub_order_id: int) -> Transfer | None:
    """Recompute when a pending transfer may go out (after a shipment changed the sub-order)."""
    transfer = (Transfer.objects.select_for_update(of=("self",)).select_related("sub_order", "order")
                .filter(sub_order_id=sub_order_id).first())
    if transfer is None or transfer.status not in (S.PENDING, S.HELD):
        return transfer
    policy, days = hold_policy_for(vendor_id=transfer.vendor_id)
    release_at = _release_at(transfer, policy, days)
    if release_at != transfer.release_at or policy != transfer.hold_policy:
        transfer.release_at, transfer.hold_policy = release_at, policy
        transfer.save(update_fields=["release_at", "hold_policy", "updated_at"])
    return transfer


# ---------------------------------------------------------------------------------------------
# holds (called by disputes: open claim or chargeback)
# ---------------------------------------------------------------------------------------------
def _for_sub_order(sub_order_id: int) -> Transfer | None:
    from orders.models import SubOrder

    transfer = Transfer.objects.select_for_update().filter(sub_order_id=sub_order_id).first()
    if transfer is None:
        order_id = SubOrder.objects.filter(pk=sub_order_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise TransferNotFound(_("No such sub-order."))
        transfers_create_for_order(order_id=order_id)
        transfer = Transfer.objects.select_for_update().filter(sub_order_id=sub_order_id).first()
    return transfer


@transaction.atomic
def transfer_hold_for_sub_order(*, sub_order_id: int, reason: str) -> Transfer | None:
    """Hold the sub-order's funds for `reason` (idempotent); None when the order is not paid.

    A transfer already sent cannot be held: the reason is recorded and the caller reverses.
    """
    reason = (reason or "").strip()[:100]
    if not reason:
        raise TransferStateConflict(_("A hold needs a reason."))
    transfer = _for_sub_order(sub_order_id)
    if transfer is None:
        return None
    if reason not in transfer.hold_reasons:
        transfer.hold_reasons = {**transfer.hold_reasons, reason: timezone.now().isoformat()}
    if transfer.status in (S.PENDING, S.FAILED):
        _move(transfer, S.HELD, reason=reason)
    transfer.save(update_fields=["hold_reasons", "status", "updated_at"])
    return transfer


@transaction.atomic
def transfer_release_hold(*, sub_order_id: int, reason: str | None = None) -> Transfer | None:
    """Lift the hold (one reason, or all); the policy's release date applies again."""
    transfer = Transfer.objects.select_for_update().filter(sub_order_id=sub_order_id).first()
    if transfer is None:
        return None
    reasons = dict(transfer.hold_reasons)
    if reason is None:
        reasons = {}
    else:
        reasons.pop(reason.strip()[:100], None)
    transfer.hold_reasons = reasons
    if transfer.status == S.HELD and not reasons:
        _move(transfer, S.PENDING, reason=reason or "every hold lifted")
    transfer.save(update_fields=["hold_reasons", "status", "updated_at"])
    return transfer


# ---------------------------------------------------------------------------------------------
# release (the beat task) and retries
# ---------------------------------------------------------------------------------------------
def max_attempts() -> int:
    return int(getattr(settings, "PAYOUTS_TRANSFER_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> dt.timedelta:
    base = float(getattr(settings, "PAYOUTS_TRANSFER_RETRY_BASE_SECONDS", 60))
    return dt.timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), 6 * 3600))


def _charge_id(order: Any) -> str | None:
    from payments.models import PaymentRecord

    charge = PaymentRecord.objects.filter(payment_intent_id=order.payment_intent_id).values_list(
        "latest_charge", flat=True
    ).first()
    if charge:
        return charge
    if not order.payment_intent_id:
        return None
    return gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id).latest_charge


def transfers_due_ids(*, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        Transfer.objects.filter(
            Q(status=S.PENDING) | Q(status=S.FAILED, attempts__lt=max_attempts()),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            release_at__lte=now, hold_reasons={},
        ).order_by("release_at", "id").values_list("pk", flat=True)[:limit]
    )


def transfers_refresh_unscheduled(*, limit: int = 500) -> int:
    """Pending transfers waiting for a shipment: pick up the sub-orders' new state."""
    ids = list(Transfer.objects.filter(status__in=[S.PENDING, S.HELD], release_at__isnull=True)
               .values_list("sub_order_id", flat=True)[:limit])
    changed = 0
    for sub_order_id in ids:
        transfer = transfer_refresh_for_sub_order(sub_order_id=sub_order_id)
        changed += bool(transfer and transfer.release_at)
    return changed


@transaction.atomic
def transfer_execute(
    *, transfer_id: int, force: bool = False, now: dt.datetime | None = None, actor: Any = None
) -> Transfer:
    """Send one due transfer through the gateway and post it to the ledger, exactly once.

    `force` (finance's retry button) ignores the backoff and the attempt limit, never a hold.
    """
    now = now or timezone.now()
    transfer = (Transfer.objects.select_for_update(of=("self",))
                .select_related("vendor", "order", "sub_order").filter(pk=transfer_id).first())
    if transfer is None:
        raise TransferNotFound(_("No such transfer."))
    if transfer.status not in (S.PENDING, S.FAILED):
        return transfer
    if transfer.hold_reasons or transfer.release_at is None or transfer.release_at > now:
        if force:
            raise TransferStateConflict(_("This transfer is held or not due yet."))
        return transfer
    if not force and transfer.next_attempt_at and transfer.next_attempt_at > now:
        return transfer
    amount = _offset_vendor_debt(transfer)
    if amount <= 0:
        _move(transfer, S.REVERSED, reason="offset against the vendor's negative balance")
        transfer.save(update_fields=["status", "amount_reversed", "updated_at"])
        return transfer
    _move(transfer, S.RELEASED, reason="retried by finance" if force else "due", actor=actor,
          data={"amount": amount})
    transfer.attempts += 1
    try:
        destination = transfer.vendor.stripe_account_id
        if not destination:
            raise TransferStateConflict(_("The vendor has no connected account yet."))
        order = transfer.order
        result = gateway.transfer_create(
            key=transfer.gateway_key, amount=amount, currency=transfer.currency,
            destination=destination,
            # A charge funds only transfers in its own currency; another one is paid from the
            # platform's balance in that currency (docs/adr/0086).
            source_transaction=_charge_id(order) if transfer.currency == order.currency else None,
            transfer_group=order.transfer_group or f"order_{order.pk}",
            metadata={"order_id": order.pk, "sub_order_id": transfer.sub_order_id,
                      "vendor_id": transfer.vendor_id},
        )
    except (GatewayError, TransferStateConflict) as exc:
        transfer.last_error = f"{getattr(exc, 'code', 'error')}: {exc}"[:2000]
        _move(transfer, S.FAILED, reason=transfer.last_error, data={"attempt": transfer.attempts})
        transfer.next_attempt_at = now + retry_delay(transfer.attempts)
        # Refused for sure: the next try is a new request. Not after a network error (the request
        # may have gone through) nor a key conflict (the amount changed since an unanswered try):
        # those keep the key, and a conflict waits for finance on /ops/transfers/.
        if isinstance(exc, GatewayError) and not isinstance(exc, GatewayUnavailable | IdempotencyConflict):
            transfer.key_generation += 1
        transfer.save(update_fields=["status", "attempts", "last_error", "next_attempt_at",
                                     "key_generation", "amount_reversed", "updated_at"])
        logger.warning("transfer %s failed (attempt %d): %s", transfer.pk, transfer.attempts, exc)
        return transfer
    _move(transfer, S.TRANSFERRED, data={"stripe_transfer_id": result.id, "amount": amount})
    transfer.stripe_transfer_id = result.id
    transfer.amount_transferred = amount
    transfer.transferred_at = now
    transfer.last_error = ""
    transfer.next_attempt_at = None
    transfer.save(update_fields=["status", "attempts", "stripe_transfer_id", "amount_transferred",
                                 "amount_reversed", "transferred_at", "last_error", "next_attempt_at",
                                 "updated_at"])
    post_transfer(vendor_id=transfer.vendor_id, amount=amount, currency=transfer.currency,
                  transfer_id=result.id, key=f"transfer:{result.id}")
    return transfer


def _offset_vendor_debt(transfer: Transfer) -> int:
    """What may go out now: never more than the vendor's pending balance in the ledger.

    A vendor whose pending balance was made negative (a chargeback or refund recovered "from the
    balance") has that debt deducted from its next transfers; the deduction is recorded as a
    reversal of this transfer (the ledger needs no entry: the pending balance already owes it).
    """
    from payouts.ledger.selectors import balances_by_code
    from payouts.models import AccountCode

    amount = transfer.amount_due
    pending = -balances_by_code(currency=transfer.currency, vendor_id=transfer.vendor_id).get(
        AccountCode.VENDOR_PENDING, 0)
    if amount <= 0 or pending >= amount:
        return amount
    offset = amount - max(pending, 0)
    TransferReversal.objects.create(
        transfer=transfer, key=f"offset:{transfer.idempotency_key}:{transfer.amount_reversed}",
        amount=offset, reason="offset against the vendor's negative balance")
    transfer.amount_reversed += offset
    return transfer.amount_due


def transfer_release_for_sub_order(*, sub_order_id: int, now: dt.datetime | None = None) -> Transfer | None:
    """Right after a sub-order's state changed (its last shipment): schedule its transfer from the
    sub-order's new state and send it when that makes it due, without waiting for the beat.

    Safe to run any number of times, and alongside the beat: `transfer_execute` locks the row and
    only sends a pending (or retryable failed) transfer that is due and not held, returning any
    other unchanged, and the gateway call carries the transfer's idempotency key, so a second run
    finds it transferred and does nothing. A policy that is not due yet (N days after delivery)
    just gets its release date.
    """
    transfer = transfer_refresh_for_sub_order(sub_order_id=sub_order_id)
    if transfer is None:
        return None
    return transfer_execute(transfer_id=transfer.pk, now=now)


def transfers_release_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """The beat's work: create missing transfers, schedule shipped ones, send what is due."""
    created = 0
    for order_id in paid_orders_without_transfers():
        created += len(transfers_create_for_order(order_id=order_id))
    scheduled = transfers_refresh_unscheduled()
    sent = failed = 0
    for transfer_id in transfers_due_ids(now=now, limit=limit):
        transfer = transfer_execute(transfer_id=transfer_id, now=now)
        sent += transfer.status == S.TRANSFERRED
        failed += transfer.status == S.FAILED
    return {"created": created, "scheduled": scheduled, "sent": sent, "failed": failed}


@transaction.atomic
def transfer_retry(*, transfer_id: int, user: Any = None) -> Transfer:
    """Finance's retry of a failed transfer, now."""
    transfer = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    if transfer is None:
        raise TransferNotFound(_("No such transfer."))
    if transfer.status != S.FAILED:
        raise TransferStateConflict(_("Only failed transfers can be retried."))
    return transfer_execute(transfer_id=transfer_id, force=True, actor=user)


def transfer_left_in_order_currency(*, sub_order_id: int) -> int:
    """What can still be taken back from the sub-order's transfer, in the order's currency (a
    vendor settling in another currency: its amount due converted at the order's snapshot)."""
    transfer = Transfer.objects.select_related("order", "sub_order").filter(sub_order_id=sub_order_id).first()
    if transfer is None:
        return 0
    left = max(int(transfer.amount_due), 0)
    if transfer.currency == transfer.order.currency:
        return left
    # What the order's currency still covers of the net, never more than the amount due converted
    # (a debt offset may have taken part of the transfer in the vendor's currency).
    unreversed = max(transfer.sub_order.net_amount - transfer.presented_reversed, 0)
    return min(unreversed, order_amount_of(order=transfer.order, amount=left, currency=transfer.currency))


# ---------------------------------------------------------------------------------------------
# reversals (refunds, lost claims and chargebacks; called by disputes)
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def transfer_reverse_for_sub_order(
    *, sub_order_id: int, amount: int, key: str, reason: str
) -> Transfer:
    """Take `amount` (in the order's currency) of the sub-order's net back from the vendor, once
    per `key`.

    Not sent yet: the transfer is simply sent smaller. Sent: a Stripe transfer reversal and a
    `transfer_reversed` ledger entry. More than what remains is refused (nothing written). A vendor
    settling in another currency gives back the amount converted at the order's snapshot, and the
    ledger moves that part of its payable between the currencies.
    """
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise TransferReversalInvalid(_("The amount must be a positive integer."),
                                      fields={"amount": [str(amount)]})
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise TransferReversalInvalid(_("A reversal needs a key."), fields={"key": [_("Required.")]})
    transfer = _for_sub_order(sub_order_id)
    if transfer is None:
        raise TransferNotFound(_("This sub-order has no transfer (the order is not paid)."))
    presented = amount
    converted = transfer.currency != transfer.order.currency
    if converted:
        # The running sum is converted, not each part: the parts always add up to the settled net.
        amount = (settlement_of(sub_order=transfer.sub_order, amount=transfer.presented_reversed + presented)
                  - settlement_of(sub_order=transfer.sub_order, amount=transfer.presented_reversed))
    previous = TransferReversal.objects.filter(key=key).first()
    if previous is not None:
        # A converted reversal's part depends on the running sum when it was made.
        if previous.transfer_id != transfer.pk or (previous.amount != amount and not converted):
            raise TransferReversalInvalid(_("This key was already used for another reversal."))
        return transfer
    if converted and amount <= 0:
        raise TransferReversalInvalid(_("This amount is less than the smallest unit of %(currency)s.")
                                      % {"currency": transfer.currency}, fields={"amount": [str(presented)]})
    if transfer.status == S.RELEASED:
        raise TransferStateConflict(_("The transfer is being sent; try again in a moment."))
    if amount > transfer.amount_due:
        raise TransferReversalInvalid(
            _("Only %(left)s can still be taken back.")
            % {"left": format_money_localized(transfer.amount_due, transfer.currency)},
            fields={"amount": [_("Too large.")]},
        )
    stripe_reversal_id = ""
    if transfer.status in NOT_SENT:
        transfer.amount_reversed += amount
        if transfer.amount_due == 0:
            _move(transfer, S.REVERSED, reason=reason, data={"amount": amount, "key": key})
    else:
        reversal = gateway.transfer_reverse(
            key=key, transfer_id=transfer.stripe_transfer_id, amount=amount,
            metadata={"sub_order_id": sub_order_id, "reason": reason[:200]},
        )
        stripe_reversal_id = reversal.id
        transfer.amount_reversed += amount
        _move(transfer, S.REVERSED if transfer.amount_due == 0 else S.PARTIALLY_REVERSED, reason=reason,
              data={"amount": amount, "key": key, "stripe_reversal_id": reversal.id})
        post_transfer_reversed(vendor_id=transfer.vendor_id, amount=amount, currency=transfer.currency,
                               transfer_id=transfer.stripe_transfer_id, key=f"transfer_reversal:{key}")
    if transfer.currency != transfer.order.currency:
        post_fx_conversion(
            vendor_id=transfer.vendor_id, amount=-presented, currency=transfer.order.currency,
            settled_amount=-amount, settlement_currency=transfer.currency,
            reference=("sub_order", transfer.sub_order_id), key=f"fx:transfer_reversal:{key}",
        )
    TransferReversal.objects.create(transfer=transfer, key=key, amount=amount, reason=reason[:300],
                                    stripe_reversal_id=stripe_reversal_id)
    transfer.presented_reversed += presented if converted else 0
    transfer.save(update_fields=["amount_reversed", "presented_reversed", "status", "updated_at"])
    return transfer
