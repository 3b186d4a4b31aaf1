"""Background onboarding of approved vendors (schema, Connect account, activation)."""

from __future__ import annotations

from celery import shared_task

from vendors import services


@shared_task(acks_late=True)
def vendor_onboarding_task(vendor_id: int) -> str:
    """Idempotent: a redelivered or retried task resumes where the last attempt stopped."""
    vendor = services.vendor_onboarding_run(vendor_id=vendor_id)
    return str(vendor.status)
