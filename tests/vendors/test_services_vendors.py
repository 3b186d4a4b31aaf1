"""Vendor services: the suspension, reinstatement, close and reopen table, audit, emails, Connect sync ordering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from common.exceptions import ApplicationError
from tests.factories import VendorFactory
from vendors import services
from vendors.errors import InvalidTransition
from vendors.models import AuditEntry, Vendor, VendorOffboarding

pytestmark = pytest.mark.django_db

VStatus = Vendor.Status
ACTIONS = {
    "activate": lambda vendor, admin: services.vendor_activate(vendor_id=vendor.pk),
    "suspend": lambda vendor, admin: services.vendor_suspend(vendor=vendor, actor=admin,
                                                             reason="Fraud check"),
    "reinstate": lambda vendor, admin: services.vendor_reinstate(vendor=vendor, actor=admin),
    # Closing returns the offboarding it starts; the table is about the vendor's status.
    "close": lambda vendor, admin: services.vendor_close(vendor=vendor, actor=admin, reason="Leaving").vendor,
    # Reopening needs the store's running offboarding: one is there, so only the table decides.
    "reopen": lambda vendor, admin: (VendorOffboarding.objects.get_or_create(vendor=vendor, reason="Leaving"),
                                     services.vendor_reopen(vendor=vendor, actor=admin))[1],
}


def test_vendor_transition_table_covers_every_action():
    assert set(services.VENDOR_TRANSITIONS) == set(ACTIONS)


@pytest.mark.parametrize("action", ["suspend", "reinstate", "close", "reopen"])
@pytest.mark.parametrize("start", VStatus.values)
def test_walk_the_vendor_transition_table(vendor_a, admin_user, action, start):
    Vendor.objects.filter(pk=vendor_a.pk).update(status=start)
    vendor_a.refresh_from_db()
    sources, target = services.VENDOR_TRANSITIONS[action]
    if start in sources:
        result = ACTIONS[action](vendor_a, admin_user)
        assert result.status == target  # alpha's store is ready, so reinstating makes it active
        entry = AuditEntry.objects.filter(vendor=vendor_a).first()
        assert (entry.action, entry.actor, entry.from_status) == (
            f"vendor.{action}", admin_user, start)
    else:
        with pytest.raises(InvalidTransition):
            ACTIONS[action](vendor_a, admin_user)
        vendor_a.refresh_from_db()
        assert vendor_a.status == start


@pytest.mark.parametrize("start", VStatus.values)
def test_activation_only_moves_onboarding_vendors(admin_user, start):
    vendor = VendorFactory(status=start)
    result = services.vendor_activate(vendor_id=vendor.pk)
    assert result.status == (VStatus.ACTIVE if start == VStatus.ONBOARDING else start)


def test_suspension_stops_selling_and_reinstating_restores_it(
    vendor_a, admin_user, django_capture_on_commit_callbacks
):
    assert vendor_a.is_selling
    with django_capture_on_commit_callbacks(execute=True):
        vendor = services.vendor_suspend(vendor=vendor_a, actor=admin_user, reason="Complaints")
    assert not vendor.is_selling
    assert vendor.suspended_at is not None
    assert mail.outbox[-1].subject == "Alpha has been suspended"
    assert "Complaints" in mail.outbox[-1].body
    vendor = services.vendor_reinstate(vendor=vendor, actor=admin_user)
    assert vendor.is_selling
    assert vendor.suspended_at is None


def test_suspension_requires_a_reason(vendor_a, admin_user):
    with pytest.raises(ApplicationError) as error:
        services.vendor_suspend(vendor=vendor_a, actor=admin_user, reason="")
    assert error.value.code == "reason_required"


def test_reinstating_a_vendor_without_a_ready_store_returns_it_to_onboarding(admin_user):
    vendor = VendorFactory(status=VStatus.SUSPENDED)
    assert services.vendor_reinstate(vendor=vendor, actor=admin_user).status == VStatus.ONBOARDING


def _account(**changes):
    account = {"id": "acct_sync", "charges_enabled": False, "payouts_enabled": False,
               "details_submitted": False,
               "requirements": {"currently_due": ["external_account"], "past_due": []}}
    account.update(changes)
    return account


def test_connect_sync_ignores_events_older_than_the_state_held():
    vendor = VendorFactory(stripe_account_id="acct_sync", charges_enabled=False)
    newer = datetime(2026, 1, 2, tzinfo=UTC)
    older = datetime(2026, 1, 1, tzinfo=UTC)
    services.vendor_stripe_account_sync(
        account=_account(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                         requirements={"currently_due": []}),
        event_created=newer,
    )
    services.vendor_stripe_account_sync(account=_account(), event_created=older)  # late arrival
    vendor.refresh_from_db()
    assert (vendor.charges_enabled, vendor.payouts_enabled, vendor.stripe_requirements) == (
        True, True, [])
    assert vendor.stripe_account_synced_at == newer
    # A duplicate of the newest event changes nothing.
    services.vendor_stripe_account_sync(
        account=_account(charges_enabled=True, payouts_enabled=True, details_submitted=True,
                         requirements={"currently_due": []}),
        event_created=newer,
    )
    vendor.refresh_from_db()
    assert vendor.charges_enabled and vendor.stripe_account_synced_at == newer


def test_connect_sync_records_requirements_due():
    vendor = VendorFactory(stripe_account_id="acct_sync", charges_enabled=True)
    services.vendor_stripe_account_sync(
        account=_account(requirements={"currently_due": ["tos_acceptance.date"],
                                       "past_due": ["external_account"]}),
        event_created=datetime(2026, 1, 1, tzinfo=UTC),
    )
    vendor.refresh_from_db()
    assert not vendor.charges_enabled
    assert vendor.stripe_requirements == ["external_account", "tos_acceptance.date"]


def test_connect_sync_for_an_unknown_account_does_nothing():
    assert services.vendor_stripe_account_sync(account=_account(id="acct_other"),
                                               event_created=None) is None


def test_suspension_hides_listings_at_once_and_reinstating_shows_them(
    vendor_a, admin_user, in_schema
):
    from marketplace.models import Listing
    from marketplace.services import listings_rebuild
    from tests.factories import ProductFactory

    with in_schema(vendor_a):
        ProductFactory(name="Visible Lamp", status="active")
    listings_rebuild(vendor_ids=[vendor_a.pk])
    listings = Listing.objects.filter(vendor=vendor_a, status="active")
    assert listings.exists() and all(listing.vendor_visible for listing in listings)
    services.vendor_suspend(vendor=vendor_a, actor=admin_user, reason="Investigation")
    assert not Listing.objects.filter(vendor=vendor_a, vendor_visible=True).exists()
    services.vendor_reinstate(vendor=vendor_a, actor=admin_user)
    assert Listing.objects.filter(vendor=vendor_a, status="active", vendor_visible=True).exists()
