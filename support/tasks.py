"""Background work of support: privacy exports, and the retention job (beat)."""

from __future__ import annotations

from celery import shared_task

from support.services import privacy


@shared_task(name="support.tasks.privacy_export_build", autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def privacy_export_build(request_id: int) -> bool:
    return privacy.privacy_export_build(request_id=request_id)


@shared_task(name="support.tasks.privacy_retention_run")
def privacy_retention_run() -> dict[str, int]:
    """Beat: expire old export files, erase buyers inactive past PRIVACY_BUYER_RETENTION_DAYS."""
    return privacy.privacy_retention_run()


@shared_task(name="support.tasks.offboardings_advance")
def offboardings_advance() -> dict[str, int]:
    """Beat: settle, export and archive closed stores whose work is done; drop archived schemas."""
    from support.services.offboarding import offboardings_advance as advance

    return advance()
