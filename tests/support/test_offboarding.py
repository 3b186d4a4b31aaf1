"""Vendor offboarding: the close hides listings and stops new orders at once, open orders finish,
the settled store gets its export ZIP and a pg_dump archive, the schema is dropped after its
retention; reopening before the drop; a second request refused with nothing changed; isolation."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import AuditLogEntry
from catalog.services import outbox_publish_pending
from marketplace.models import Listing
from orders.errors import VendorNotSelling
from orders.models import SubOrder
from support.services import offboarding
from tests.factories import OrderFactory, ProductFactory
from tests.factories.orders import sellable_variant
from tests.support.state import rows
from vendors import services as vendor_services
from vendors.errors import OffboardingConflict
from vendors.models import AuditEntry, Vendor, VendorOffboarding
from vendors.storage import private_storage

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_closing_hides_listings_stops_orders_and_waits_for_open_orders(vendor_a, owner_a, buyer, client_for):
    from orders import services

    with schema_context(vendor_a.store.schema_name):
        product = ProductFactory(name="Closing Sale Teapot", stock=5)
        outbox_publish_pending()
    variant = sellable_variant(vendor_a, price=1200)
    order = OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)], vendor_copies=True)
    dashboard = client_for(vendor_a, owner_a)
    assert dashboard.post("/dashboard/close/", {"reason": "Retiring"}).status_code == 302
    vendor_a.refresh_from_db()
    assert vendor_a.status == Vendor.Status.CLOSED
    assert Listing.objects.get(vendor=vendor_a, product_id=product.pk).vendor_visible is False
    cart = services.cart_for(user=buyer, create=True)
    with pytest.raises(VendorNotSelling):
        services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk)
    # The paid order still has to ship: nothing is settled yet.
    assert offboarding.offboarding_waiting_for(vendor=vendor_a) == ["open orders"]
    record = VendorOffboarding.objects.get(vendor=vendor_a)
    assert offboarding.offboarding_settle(offboarding_id=record.pk) is False
    assert order.sub_orders.get().status == SubOrder.Status.PAID
    assert "open orders" in dashboard.get("/dashboard/close/").content.decode()
    audit = AuditEntry.objects.get(vendor=vendor_a, action="vendor.close")
    assert (audit.actor, audit.reason) == (owner_a, "Retiring")


def test_a_second_offboarding_request_is_refused_and_changes_nothing(vendor_a, owner_a, admin_user, client_for):
    vendor_services.vendor_close(vendor=vendor_a, actor=owner_a, reason="Leaving")
    before = rows(Vendor.objects.filter(pk=vendor_a.pk), VendorOffboarding, AuditEntry.objects.filter(vendor=vendor_a),
                  Listing.objects.filter(vendor=vendor_a))
    with pytest.raises(OffboardingConflict) as refused:
        vendor_services.vendor_close(vendor=vendor_a, actor=admin_user, reason="Again")
    assert "already being closed" in refused.value.message
    page = client_for(vendor_a, owner_a).post("/dashboard/close/", {"reason": "Again"})
    assert page.status_code == 409
    admin = client_for(PLATFORM, admin_user)
    shown = admin.post(f"/ops/support/vendors/{vendor_a.pk}/offboarding/close/", {"reason": "Again"}, follow=True)
    assert "already being closed" in shown.content.decode()
    assert rows(Vendor.objects.filter(pk=vendor_a.pk), VendorOffboarding, AuditEntry.objects.filter(vendor=vendor_a),
                Listing.objects.filter(vendor=vendor_a)) == before


def test_a_settled_store_is_exported_archived_and_dropped_after_its_retention(vendor_a, owner_a, owner_b, vendor_b,
                                                                              client_for):
    with schema_context(vendor_a.store.schema_name):
        ProductFactory(name="Alpha Archive Bowl", sku="ALPHA-ARCHIVE", stock=2)
    with schema_context(vendor_b.store.schema_name):
        ProductFactory(name="Bravo Private Mug", sku="BRAVO-PRIVATE", stock=2)
    record = vendor_services.vendor_close(vendor=vendor_a, actor=owner_a, reason="Leaving")
    assert offboarding.offboardings_advance() == {"settled": 1, "dropped": 0}
    record.refresh_from_db()
    assert record.status == "archived" and record.drop_after > timezone.now()
    export = zipfile.ZipFile(io.BytesIO(client_for(vendor_a, owner_a).get("/dashboard/close/export/").getvalue()))
    assert {"catalog.csv", "orders.csv", "ledger.csv"} <= set(export.namelist())
    catalog = export.read("catalog.csv").decode()
    assert "ALPHA-ARCHIVE" in catalog and "BRAVO-PRIVATE" not in catalog
    with private_storage().open(record.archive_file, "rb") as archive:
        assert archive.read(5) == b"PGDMP"  # a pg_dump custom-format archive
    # Vendor B's owner never gets A's export, on A's host or B's.
    assert client_for(vendor_b, owner_b).get("/dashboard/close/export/").status_code == 404
    assert client_for(vendor_a, owner_b).get("/dashboard/close/export/").status_code in (302, 403, 404)
    schema = vendor_a.store.schema_name
    assert offboarding.offboardings_advance() == {"settled": 0, "dropped": 0}  # not yet
    later = timezone.now() + timedelta(days=offboarding.schema_retention_days() + 1)
    with connection.cursor() as cursor:
        # The drop runs months later in its own transaction; here the rows written above still have
        # deferred checks pending in the test's transaction, which PostgreSQL will not drop under.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert offboarding.offboardings_advance(now=later) == {"settled": 0, "dropped": 1}
    assert not _schema_exists(schema) and private_storage().exists(record.archive_file)
    # Each step is in the platform log, done by the system (no actor), for vendor A.
    logged = {e.verb: e for e in AuditLogEntry.objects.filter(verb__in=["vendor.settled", "vendor.archived",
                                                                       "vendor.dropped"])}
    assert set(logged) == {"vendor.settled", "vendor.archived", "vendor.dropped"}
    assert {(e.actor_id, e.vendor_id) for e in logged.values()} == {(None, vendor_a.pk)}
    assert logged["vendor.settled"].changes == {"offboarding": ["closing", "settled"]}
    assert logged["vendor.archived"].reason == record.archive_file
    assert logged["vendor.dropped"].changes == {"offboarding": ["archived", "dropped"]}
    with pytest.raises(OffboardingConflict):
        vendor_services.vendor_reopen(vendor=vendor_a, actor=owner_a)


def test_a_closed_store_reopens_before_the_drop_with_its_listings(vendor_a, admin_user, client_for):
    with schema_context(vendor_a.store.schema_name):
        product = ProductFactory(name="Comeback Kettle", stock=5)
        outbox_publish_pending()
    vendor_services.vendor_close(vendor=vendor_a, actor=admin_user, reason="Unpaid fees")
    admin = client_for(PLATFORM, admin_user)
    assert admin.post(f"/ops/support/vendors/{vendor_a.pk}/offboarding/reopen/", {"reason": "Paid"}).status_code == 302
    vendor_a.refresh_from_db()
    assert vendor_a.status == Vendor.Status.ACTIVE
    assert Listing.objects.get(vendor=vendor_a, product_id=product.pk).vendor_visible is True
    assert VendorOffboarding.objects.get(vendor=vendor_a).status == "reopened"
    # A new request may follow a reopening.
    assert vendor_services.vendor_close(vendor=vendor_a, actor=admin_user, reason="Gone for good").status == "closing"
