"""Background work of payouts: transfers (after payment, beat release, retries) and exports."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from payouts import transfers
from payouts.errors import TRANSFER_REVERSAL_TRANSIENT, TransferNotFound
from payouts.models import Transfer


# Retried after a lost connection or a deadlock only: both services are idempotent, and a
# gateway failure is recorded on the transfer, whose own schedule (the beat) sends it again.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=10, retry_backoff_max=300,
    retry_jitter=True, max_retries=5, acks_late=True,
)
def transfers_create_for_order(order_id: int) -> int:
    """After payment: create the order's transfers and send those already due (immediate)."""
    created = transfers.transfers_create_for_order(order_id=order_id)
    now = timezone.now()
    for transfer in created:
        if (transfer.status == Transfer.Status.PENDING and not transfer.hold_reasons
                and transfer.release_at is not None and transfer.release_at <= now):
            transfers.transfer_execute(transfer_id=transfer.pk)
    return len(created)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=10, retry_backoff_max=300,
    retry_jitter=True, max_retries=5, acks_late=True,
)
def transfer_release_for_sub_order(sub_order_id: int) -> str:
    """After a shipment (queued by fulfilment once the sub-order is synced): send its transfer now
    if the policy makes it due. Idempotent; the beat below stays the safety net."""
    transfer = transfers.transfer_release_for_sub_order(sub_order_id=sub_order_id)
    return transfer.status if transfer is not None else "missing"


@shared_task(
    autoretry_for=(*TRANSFER_REVERSAL_TRANSIENT, TransferNotFound), retry_backoff=30, retry_backoff_max=600,
    retry_jitter=True, max_retries=8, acks_late=True,
)
def transfer_recover_refund(sub_order_id: int, amount: int, refund_id: str) -> int:
    """A vendor part was refunded (units it could not ship, a cancelled order's shipping): reduce
    (or reverse) its transfer by the vendor's part. Idempotent by the refund id; retried while the
    transfer is being sent or not created yet, and on transient failures."""
    transfer = transfers.transfer_reverse_for_sub_order(
        sub_order_id=sub_order_id, amount=amount, key=f"cancelrefund:{refund_id}",
        reason="units cancelled by the vendor",
    )
    return transfer.pk


@shared_task(acks_late=True)
def transfers_release_due() -> dict[str, int]:
    """Beat: missing transfers created, shipped sub-orders scheduled, due and retryable sent."""
    return transfers.transfers_release_due()


# Retried when the database fails before the job is marked running; from then on the service
# records any failure on the job itself. A second delivery while it runs stops at the job's lock;
# one after the worker died builds the file again (payouts.exports.export_job_run).
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=30, retry_backoff_max=300,
    retry_jitter=True, max_retries=3, acks_late=True,
)
def export_job_run(job_id: int) -> str:
    from payouts.exports import export_job_run as run

    return run(job_id=job_id).status


@shared_task
def export_jobs_requeue_stalled() -> list[int]:
    """Beat: queue again the exports whose task was lost (docs/reliability.md)."""
    from payouts.exports import export_jobs_requeue_stalled as requeue

    return requeue()
