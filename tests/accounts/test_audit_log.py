"""The platform audit log: model changes captured with actor and address, explicit staff actions,
the per-app audit rows feeding it, append-only in the database, filters and CSV."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError
from django_tenants.utils import schema_context

from accounts.audit import (
    AuditFilter,
    audit_action,
    audit_csv_lines,
    audit_entries,
    audit_entries_of_vendor,
)
from accounts.models import AuditLogEntry
from tests.factories import ProductFactory, UserFactory
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_explicit_action_records_who_what_before_after_and_why(admin_user: Any, buyer: Any) -> None:
    entry = audit_action(actor=admin_user, action="user.disable", target=buyer, before={"is_active": True},
                         after={"is_active": False}, reason="fraud ring")

    entry.refresh_from_db()
    assert (entry.verb, entry.target_type, entry.object_pk) == ("user.disable", "accounts.user", str(buyer.pk))
    assert entry.actor_id == admin_user.pk and entry.actor_email == admin_user.email
    assert entry.changes == {"is_active": [True, False]}
    assert entry.reason == "fraud ring"
    assert entry.vendor_id is None


def test_the_log_refuses_update_and_delete_in_the_database(admin_user: Any, buyer: Any) -> None:
    entry = audit_action(actor=admin_user, action="user.enable", target=buyer, reason="appeal")
    for statement in ("UPDATE accounts_auditlogentry SET reason = 'x' WHERE id = %s",
                      "DELETE FROM accounts_auditlogentry WHERE id = %s"):
        with (pytest.raises((IntegrityError, InternalError, DatabaseError)), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.reason == "appeal"


def test_a_registered_model_changed_in_a_request_is_logged_with_actor_and_address(
        client_for: Any, vendor_a: Any, owner_a: Any) -> None:
    """A vendor edits a product on its dashboard: the entry names the owner, the client address
    and the vendor, with the name before and after (no call of ours in the catalog code)."""
    with schema_context(vendor_a.store.schema_name):
        product = ProductFactory(name="Old name")
    client = client_for(vendor_a, owner_a)

    response = client.post(f"/dashboard/products/{product.pk}/", {
        "name": "New name", "handle": product.handle, "description": product.description, "status": product.status,
        "category_id": product.category_id or ""}, REMOTE_ADDR="203.0.113.9")

    assert response.status_code in (200, 302)
    entry = AuditLogEntry.objects.filter(target_type="catalog.product", object_pk=str(product.pk),
                                         verb="catalog.product.update").latest("id")
    assert entry.actor_id == owner_a.pk
    assert entry.remote_addr == "203.0.113.9"
    assert entry.vendor_id == vendor_a.pk
    assert entry.changes["name"] == ["Old name", "New name"]


def test_a_per_app_audit_row_feeds_the_log(vendor_a: Any, admin_user: Any) -> None:
    AuditEntry.objects.create(actor=admin_user, action=AuditEntry.Action.VENDOR_SUSPEND, vendor=vendor_a,
                              from_status="active", to_status="suspended", reason="unpaid fees")

    entry = AuditLogEntry.objects.filter(verb="vendors.vendor.suspend").latest("id")
    assert entry.vendor_id == vendor_a.pk
    assert entry.changes["reason"] == [None, "unpaid fees"]


def test_filters_by_actor_verb_target_vendor_and_dates(admin_user: Any, vendor_a: Any, vendor_b: Any) -> None:
    other_admin = UserFactory(platform_role="admin")
    mine = audit_action(actor=admin_user, action="listing.takedown", target=vendor_a, reason="counterfeit")
    audit_action(actor=other_admin, action="listing.takedown", target=vendor_b, reason="counterfeit")
    audit_action(actor=admin_user, action="user.disable", target=other_admin, reason="left")

    found = audit_entries(filters=AuditFilter(actor=admin_user.email, verb="listing.takedown",
                                              target_type="vendors.vendor", target_id=str(vendor_a.pk),
                                              vendor_id=vendor_a.pk, since=mine.timestamp.date(),
                                              until=mine.timestamp.date()))
    assert list(found) == [mine]
    assert not audit_entries(filters=AuditFilter(since=mine.timestamp.date() + dt.timedelta(days=1))).filter(
        pk=mine.pk).exists()
    assert set(audit_entries(filters=AuditFilter(verb="listing."))) >= {mine}


def test_a_vendor_reads_only_its_own_visible_entries(vendor_a: Any, vendor_b: Any, admin_user: Any) -> None:
    own = audit_action(actor=admin_user, action="listing.takedown", target=vendor_a, reason="a")
    audit_action(actor=admin_user, action="listing.takedown", target=vendor_b, reason="b")
    hidden = audit_action(actor=admin_user, action="note.internal", target=vendor_a, reason="staff",
                          vendor_visible=False)

    # Asking for B's entries through the filter changes nothing: the vendor is forced.
    seen = list(audit_entries_of_vendor(vendor_id=vendor_a.pk, filters=AuditFilter(vendor_id=vendor_b.pk)))
    assert own in seen and hidden not in seen
    assert {entry.vendor_id for entry in seen} == {vendor_a.pk}


def test_csv_has_a_header_and_neutralises_formulas(admin_user: Any, buyer: Any) -> None:
    audit_action(actor=admin_user, action="user.disable", target=buyer, reason="=HYPERLINK(\"x\")")
    lines = list(audit_csv_lines(audit_entries(filters=AuditFilter(verb="user.disable"))))
    assert lines[0].startswith("id,timestamp,actor,")
    assert "'=HYPERLINK" in lines[1]


def test_a_users_email_and_name_never_reach_the_log(admin_user: Any) -> None:
    """The log is append-only, so personal data an erasure removes must never be copied into it."""
    user = UserFactory(email="first-address@example.com", full_name="Nora Name")
    user.email, user.full_name = "second-address@example.com", "Nora Renamed"
    user.save()
    user.is_active = False
    user.save()
    logged = " ".join(str(entry.changes) for entry in AuditLogEntry.objects.all())
    for personal in ("first-address", "second-address", "Nora"):
        assert personal not in logged
    assert any("is_active" in (entry.changes or {}) for entry in AuditLogEntry.objects.all())
