"""Background work of claims and chargebacks: the SLA escalation sweep, recovery from vendors.

Tasks take ids and are safe to retry: recoveries are keyed per refund / dispute and sub-order.
"""

from __future__ import annotations

from celery import shared_task

from disputes import services
from payouts.errors import TRANSFER_REVERSAL_TRANSIENT


@shared_task(name="disputes.tasks.claims_escalate_overdue")
def claims_escalate_overdue() -> list[int]:
    """Beat: escalate every open claim whose seller did not answer within the SLA."""
    return services.claims_escalate_overdue()


# Only transient failures are retried (payouts.errors): a refused reversal, a domain error, would
# only fail the same way again.
@shared_task(
    name="disputes.tasks.claim_refund_recover", autoretry_for=TRANSFER_REVERSAL_TRANSIENT,
    retry_backoff=30, retry_backoff_max=600, retry_jitter=True, max_retries=8,
)
def claim_refund_recover(refund_id: int) -> bool:
    return services.claim_refund_recover(refund_id=refund_id)


@shared_task(
    name="disputes.tasks.chargeback_recover", autoretry_for=TRANSFER_REVERSAL_TRANSIENT,
    retry_backoff=30, retry_backoff_max=600, retry_jitter=True, max_retries=8,
)
def chargeback_recover(chargeback_id: int) -> int:
    return services.chargeback_recover(chargeback_id=chargeback_id)
