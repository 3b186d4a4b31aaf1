"""An export requested on the page is built by the real Celery worker and mailed as a link."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from payouts import exports
from payouts.models import ExportJob
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_runs_in_the_worker_and_mails_a_signed_link(task_worker, finance_user, vendor_a, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    job, created = exports.export_request(kind="tax_summary", fmt="xlsx", params={"year": timezone.now().year},
                                          user=finance_user)
    assert created
    wait_until(lambda: ExportJob.objects.filter(pk=job.pk, status="done").exists(), timeout=30, message="export")
    job.refresh_from_db()
    assert job.progress == 100 and job.file.endswith(".xlsx")
    # The link is mailed once the job is done (after its commit): wait for it too.
    wait_until(lambda: bool(mail.outbox), timeout=30, message="export mail")
    assert finance_user.email in mail.outbox[-1].to
    token = mail.outbox[-1].body.split("/ops/finance/exports/download/")[1].split("/")[0]
    assert exports.export_for_token(token).pk == job.pk
    # the same request again: the same job, nothing queued
    again, created_again = exports.export_request(kind="tax_summary", fmt="xlsx",
                                                  params={"year": timezone.now().year}, user=finance_user)
    assert again.pk == job.pk and not created_again
