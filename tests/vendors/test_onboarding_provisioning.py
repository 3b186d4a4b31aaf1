"""Approval in the background with the real Celery worker and the Stripe emulator.

Provisioning, Connect account creation and activation; failure visible and retryable; double
approval makes no second vendor, schema or account. Prints the measured provisioning time.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection, connections, transaction
from django_tenants.utils import schema_exists

from payments import gateway
from tenants.models import Domain, Store
from tenants.services import public_tenant_ensure
from tests.factories import UserFactory
from tests.support.uploads import pdf_upload
from tests.support.waiting import wait_until
from vendors import selectors, services
from vendors.errors import InvalidTransition
from vendors.models import AuditEntry, Vendor, VendorApplication

pytestmark = pytest.mark.django_db(transaction=True)
PLATFORM = "marketplace.localhost"
# Provisioning migrates a whole schema in the worker: slower than most waits on a shared machine.
PROVISIONING = 90.0


def worker_idle() -> bool:
    """No task queued in our broker channel and none running in the in-process worker."""
    from celery.worker import state

    queued = redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")
    return queued == 0 and not state.active_requests and not state.reserved_requests


def drop_schema(schema_name: str) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


def submitted_application(slug: str) -> VendorApplication:
    from marketplace.models import Category

    public_tenant_ensure()
    category = Category.objects.get_or_create(name="Tools", slug=f"tools-{slug}",
                                              path=f"tools-{slug}")[0]
    user = UserFactory(email=f"owner@{slug}.example.com")
    application = services.application_create(
        applicant=user, business_name=f"{slug.title()} Ltd", legal_form="company", country="DE",
        currency="EUR", contact_name="Olive Owner", contact_email=user.email, slug=slug,
        categories=[category.pk], description="Tools and more.",
    )
    services.application_document_add(application=application, actor=user, upload=pdf_upload())
    return services.application_submit(application=application, actor=user)


def vendor_settled(vendor_id: int) -> Vendor | None:
    vendor = Vendor.objects.select_related("store").get(pk=vendor_id)
    if vendor.status == Vendor.Status.ACTIVE or vendor.store.status == Store.Status.FAILED:
        return vendor
    return None


def test_approval_provisions_schema_creates_connect_account_and_activates(
    task_worker, emulator, admin_user, client_for, capsys
):
    application = submitted_application("brightshop")
    mail.outbox.clear()
    started = time.monotonic()
    approved = services.application_approve(application=application, actor=admin_user)
    vendor = approved.vendor
    try:
        vendor = wait_until(lambda: vendor_settled(vendor.pk), timeout=PROVISIONING, message="onboarding")
        wall = time.monotonic() - started
        assert vendor.store.status == Store.Status.READY, vendor.store.provisioning_error
        assert vendor.status == Vendor.Status.ACTIVE
        assert schema_exists("v_brightshop")
        assert Domain.objects.get(domain="brightshop.marketplace.localhost").tenant_id == vendor.store_id
        assert vendor.stripe_account_id.startswith("acct_")
        account = gateway.account_retrieve(account_id=vendor.stripe_account_id)
        assert (account.charges_enabled, account.details_submitted) == (False, False)
        assert not vendor.is_selling  # approved, but not charges-enabled yet
        assert vendor.memberships.get().user == application.applicant
        progress = selectors.onboarding_progress(vendor=vendor)
        assert [step.state for step in progress.steps] == ["done"] * 4
        wait_until(lambda: len(mail.outbox) >= 2, timeout=PROVISIONING, message="emails")
        subjects = sorted(message.subject for message in mail.outbox)
        assert subjects == ["Brightshop Ltd is ready", "Welcome to Marketplace, Brightshop Ltd!"]
        # The applicant's status page shows the finished setup.
        page = client_for(PLATFORM, application.applicant).get("/sell/status/progress/")
        assert page.status_code == 200
        assert b'data-state="failed"' not in page.content
        assert b"hx-trigger" not in page.content  # polling stops once finished
        # The owner reaches the new dashboard on the vendor's host.
        assert client_for(vendor.host, application.applicant).get("/dashboard/go-live/").status_code == 200
        with capsys.disabled():
            print(f"\n[onboarding] approval → ready storefront: Store.provisioning_seconds="
                  f"{vendor.store.provisioning_seconds:.3f}s, approval→active wall time={wall:.3f}s")
    finally:
        wait_until(worker_idle, timeout=PROVISIONING, message="idle worker")
        drop_schema("v_brightshop")


def test_provisioning_failure_is_visible_and_retry_succeeds(
    task_worker, emulator, admin_user, client_for
):
    application = submitted_application("failshop")
    # Another store takes the host between approval and provisioning (same commit here).
    with transaction.atomic():
        vendor = services.application_approve(application=application, actor=admin_user).vendor
        squatter = Store.objects.create(schema_name="v_squatter_fail", name="Squatter")
        Domain.objects.create(domain="failshop.marketplace.localhost", tenant=squatter)
    try:
        wait_until(lambda: Store.objects.get(pk=vendor.store_id).status == Store.Status.FAILED,
                 timeout=PROVISIONING, message="failure")
        wait_until(worker_idle, timeout=PROVISIONING, message="idle worker")
        vendor = Vendor.objects.select_related("store").get(pk=vendor.pk)
        assert vendor.store.status == Store.Status.FAILED
        assert "belongs to another store" in vendor.store.provisioning_error
        assert vendor.status == Vendor.Status.ONBOARDING
        assert vendor.stripe_account_id == ""  # no account for a store that does not exist
        assert not schema_exists("v_failshop")  # never a half-made tenant
        applicant_client = client_for(PLATFORM, application.applicant)
        page = applicant_client.get("/sell/status/")
        assert b'data-state="failed"' in page.content
        assert b"belongs to another store" in page.content
        assert b"Retry" in page.content

        Domain.objects.filter(tenant=squatter).delete()
        retry = applicant_client.post("/sell/retry/", HTTP_HX_REQUEST="true")
        assert retry.status_code == 200
        vendor = wait_until(lambda: vendor_settled(vendor.pk), timeout=PROVISIONING, message="retry")
        vendor = Vendor.objects.select_related("store").get(pk=vendor.pk)
        assert vendor.store.status == Store.Status.READY
        assert vendor.stripe_account_id.startswith("acct_")
        assert schema_exists("v_failshop")
        assert AuditEntry.objects.filter(vendor=vendor, action="vendor.onboarding_retry",
                                         actor=application.applicant).exists()
        # Nothing left to retry now.
        with pytest.raises(InvalidTransition):
            services.vendor_onboarding_retry(vendor=vendor, actor=admin_user)
    finally:
        wait_until(worker_idle, timeout=PROVISIONING, message="idle worker")
        drop_schema("v_failshop")


def test_concurrent_double_approval_makes_one_vendor_one_schema_one_account(
    task_worker, emulator, admin_user
):
    application = submitted_application("twiceshop")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve() -> None:
        try:
            barrier.wait()
            services.application_approve(application=application, actor=admin_user)
            outcomes.append("approved")
        except InvalidTransition:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert sorted(outcomes) == ["approved", "conflict"]
        assert Vendor.objects.filter(slug="twiceshop").count() == 1
        assert Store.objects.filter(schema_name="v_twiceshop").count() == 1
        vendor = Vendor.objects.get(slug="twiceshop")
        vendor = wait_until(lambda: vendor_settled(vendor.pk), timeout=PROVISIONING, message="onboarding")
        wait_until(worker_idle, timeout=PROVISIONING, message="idle worker")
        account_id = vendor.stripe_account_id
        # Running the pipeline again (a redelivered task, a retry) changes nothing.
        services.vendor_onboarding_run(vendor_id=vendor.pk)
        assert Vendor.objects.get(pk=vendor.pk).stripe_account_id == account_id
        # Even a lost write would not make a second account: the gateway key is the vendor's.
        again = gateway.account_create(vendor_id=vendor.pk, country=vendor.country,
                                       email=vendor.support_email, business_name=vendor.name)
        assert again.id == account_id
        assert AuditEntry.objects.filter(application=application,
                                         action="application.approve").count() == 1
    finally:
        wait_until(worker_idle, timeout=PROVISIONING, message="idle worker")
        drop_schema("v_twiceshop")
