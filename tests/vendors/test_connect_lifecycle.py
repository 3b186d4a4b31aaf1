"""The Connect account lifecycle through the emulator: account, onboarding link, signed webhooks.

The emulator delivers `account.updated` to the real webhook endpoint (pytest-django's live
server); intake stores it and the real Celery worker applies it with `vendors.webhook_handlers`.
"""

from __future__ import annotations

import pytest

from payments.models import WebhookEvent
from tests.support.stripe import emulator_post
from tests.support.waiting import wait_until
from vendors import services
from vendors.models import Vendor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhooks_to_live_server(emulator, live_server):
    emulator_post(emulator, "/_emulator/webhooks/config", {
        "url": f"{live_server.url}/webhooks/stripe/", "duplicate": 2, "retry_base_ms": 20,
    })
    yield
    emulator.flush_webhooks(timeout=10)
    emulator_post(emulator, "/_emulator/webhooks/config", {"url": "", "duplicate": 1})


def test_owner_onboards_and_webhooks_enable_charges(
    task_worker, emulator, webhooks_to_live_server, vendor_a, owner_a, client_for
):
    Vendor.objects.filter(pk=vendor_a.pk).update(
        stripe_account_id="", charges_enabled=False, payouts_enabled=False
    )
    vendor = services.vendor_connect_account_ensure(vendor_id=vendor_a.pk)
    assert vendor.stripe_account_id.startswith("acct_")
    assert not vendor.charges_enabled and vendor.stripe_requirements
    owner = client_for(vendor, owner_a)

    page = owner.get("/dashboard/go-live/")
    assert b'data-item="charges" data-done="0"' in page.content
    assert b"Complete Stripe onboarding" in page.content

    link = owner.post("/dashboard/go-live/stripe/")
    assert link.status_code == 302
    assert link["Location"].startswith(emulator.url)

    emulator_post(emulator, f"/_emulator/accounts/{vendor.stripe_account_id}/complete_onboarding")
    emulator.flush_webhooks(timeout=10)
    vendor = wait_until(
        lambda: Vendor.objects.filter(pk=vendor.pk, charges_enabled=True).first(),
        message="account.updated applied",
    )
    assert vendor.payouts_enabled and vendor.stripe_details_submitted
    assert vendor.stripe_requirements == []
    assert vendor.stripe_account_synced_at is not None
    assert vendor.is_selling
    event = WebhookEvent.objects.get(type="account.updated", account=vendor.stripe_account_id)
    assert event.duplicate_deliveries >= 1  # the emulator sent it twice; applied once
    wait_until(lambda: WebhookEvent.objects.filter(pk=event.pk, status="applied").exists(),
             message="event applied")

    page = owner.get("/dashboard/go-live/")
    assert b'data-item="stripe_onboarding" data-done="1"' in page.content
    assert b'data-item="charges" data-done="1"' in page.content
    assert b"Complete Stripe onboarding" not in page.content


def test_return_from_stripe_refreshes_the_account_at_once(
    emulator, vendor_a, owner_a, client_for
):
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="", charges_enabled=False)
    vendor = services.vendor_connect_account_ensure(vendor_id=vendor_a.pk)
    emulator_post(emulator, f"/_emulator/accounts/{vendor.stripe_account_id}/complete_onboarding")
    response = client_for(vendor, owner_a).get("/dashboard/go-live/stripe/return/")
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.charges_enabled and vendor.stripe_details_submitted


def test_staff_cannot_start_stripe_onboarding(emulator, vendor_a, client_for):
    from tests.factories import UserFactory
    from tests.factories.vendors import MembershipFactory

    staff = UserFactory(email="staff-onboard@example.com")
    MembershipFactory(user=staff, vendor=vendor_a, role="staff")
    assert client_for(vendor_a, staff).post("/dashboard/go-live/stripe/").status_code == 403
