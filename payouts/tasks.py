"""Background work of payouts: transfers (after payment, beat release, retries) and exports."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from payouts import transfers
from payouts.models import Transfer


@shared_task(bind=True, max_retries=5, acks_late=True, default_retry_delay=10)
def transfers_create_for_order(self, order_id: int) -> int:  # type: ignore[no-untyped-def]
    """After payment: create the order's transfers and send those already due (immediate)."""
    created = transfers.transfers_create_for_order(order_id=order_id)
    now = timezone.now()
    for transfer in created:
        if (transfer.status == Transfer.Status.PENDING and not transfer.hold_reasons
                and transfer.release_at is not None and transfer.release_at <= now):
            transfers.transfer_execute(transfer_id=transfer.pk)
    return len(created)


@shared_task(bind=True, max_retries=5, acks_late=True, default_retry_delay=10)
def transfer_release_for_sub_order(self, sub_order_id: int) -> str:  # type: ignore[no-untyped-def]
    """After a shipment (queued by fulfilment once the sub-order is synced): send its transfer now
    if the policy makes it due. Idempotent; the beat below stays the safety net."""
    transfer = transfers.transfer_release_for_sub_order(sub_order_id=sub_order_id)
    return transfer.status if transfer is not None else "missing"


@shared_task(bind=True, max_retries=8, acks_late=True, default_retry_delay=30)
def transfer_recover_refund(self, sub_order_id: int, amount: int, refund_id: str) -> int:  # type: ignore[no-untyped-def]
    """A vendor part was refunded (units it could not ship, a cancelled order's shipping): reduce
    (or reverse) its transfer by the vendor's part. Idempotent by the refund id; retried while the
    transfer is being sent or not created yet."""
    from payouts.errors import TransferNotFound, TransferStateConflict

    try:
        transfer = transfers.transfer_reverse_for_sub_order(
            sub_order_id=sub_order_id, amount=amount, key=f"cancelrefund:{refund_id}",
            reason="units cancelled by the vendor",
        )
    except (TransferNotFound, TransferStateConflict) as exc:
        raise self.retry(exc=exc) from exc
    return transfer.pk


@shared_task(acks_late=True)
def transfers_release_due() -> dict[str, int]:
    """Beat: missing transfers created, shipped sub-orders scheduled, due and retryable sent."""
    return transfers.transfers_release_due()


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=30)
def export_job_run(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    from payouts.exports import export_job_run as run

    return run(job_id=job_id).status
