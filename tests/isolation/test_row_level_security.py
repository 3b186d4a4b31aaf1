"""Row-level security (docs/adr/0047): on a vendor's host, the database itself shows and lets
write only that vendor's rows of the public tables keyed by vendor, whatever SQL the code sends;
the marketplace host and platform code see everything, and no binding outlives its request or
task on a reused connection.

The probes (tests/isolation/urls_row_security.py) run raw SQL through `django.db.connection` in a
real request through the whole middleware stack. Without the binding middleware, every
assertion about a vendor host's view of B's rows fails (it sees both vendors).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from config.celery import app
from disputes.models import VendorClaimPolicy
from payouts.models import HoldPolicy, Payout, VendorPayoutPolicy
from payouts.payouts import payout_record_apply
from payouts.transfers import transfers_create_for_order
from reviews.models import Review
from tests.factories import ChargebackFactory, ClaimFactory, OrderFactory
from tests.factories.orders import sellable_variant
from tests.isolation.urls_row_security import PROTECTED_TABLES, public_urls, tenant_urls
from vendors.row_security import ROLE, bound_schema
from vendors.services import invitation_create

pytestmark = pytest.mark.django_db
PLATFORM_HOST = "marketplace.localhost"


@pytest.fixture(autouse=True)
def _probes() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=tenant_urls, PUBLIC_SCHEMA_URLCONF=public_urls):
        yield


@pytest.fixture
def emulator(gateway_on_emulator: Any) -> Any:
    return gateway_on_emulator


@pytest.fixture
def rows_of_both(shopper: Any, emulator: Any, connected: dict[str, str], vendor_a: Any, vendor_b: Any,
                 owner_a: Any, owner_b: Any) -> dict[str, int]:
    """A row of vendor A and one of vendor B in every protected table; {"a": id, "b": id}."""
    order = OrderFactory(buyer=shopper, payment="emulator", vendor_copies=True, items=[
        (vendor_a, sellable_variant(vendor_a, price=1500, stock=5), 1),
        (vendor_b, sellable_variant(vendor_b, price=2500, stock=5), 1),
    ])
    transfers_create_for_order(order_id=order.pk)
    for sub in order.sub_orders.all():
        ClaimFactory(sub_order=sub)
        line = sub.lines.get()
        # A review row straight in the table: the probe needs one per vendor, not a shipment.
        Review.objects.create(order_line=line, buyer=shopper, vendor=sub.vendor, product_id=line.product_id,
                              product_name=line.name, rating=4, status=Review.Status.PUBLISHED)
    ChargebackFactory(order=order)
    for key, vendor, owner in (("a", vendor_a, owner_a), ("b", vendor_b, owner_b)):
        payout_record_apply(data={"id": f"po_rls_{key}", "amount": 500, "currency": "eur", "status": "paid"},
                            account_id=connected[key], event_created=int(time.time()))
        VendorPayoutPolicy.objects.create(vendor=vendor, hold_policy=HoldPolicy.IMMEDIATE)
        VendorClaimPolicy.objects.create(vendor=vendor, return_window_days=30)
        invitation_create(vendor=vendor, actor=owner, email=f"new-{key}@example.com", role="staff")
    ids = {"a": vendor_a.pk, "b": vendor_b.pk}
    assert Payout.objects.filter(vendor_id__in=ids.values()).count() == 2
    seen = _read(PLATFORM_HOST)["seen"]
    for table in PROTECTED_TABLES:  # the data is there: both vendors have rows everywhere
        assert {str(ids["a"]), str(ids["b"])} <= set(seen[table]), table
    return ids


def _client(host: str, **kwargs: Any) -> Any:
    from tests.conftest import TenantClient

    return TenantClient(host, **kwargs)


def _read(host: str, **query: str) -> dict[str, Any]:
    response = _client(host, raise_request_exception=False).get("/__rls__/read/", query)
    if query.get("fail"):
        assert response.status_code == 500
        return {}
    assert response.status_code == 200, response.content[:500]
    return response.json()


def _login_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        current, session = cursor.fetchone()
    assert current == session  # no role left switched on the test's connection
    return str(current)


def test_raw_sql_on_vendor_host_sees_only_that_vendor(rows_of_both, vendor_a, vendor_b):
    for vendor, own, other in ((vendor_a, "a", "b"), (vendor_b, "b", "a")):
        probe = _read(vendor.host)
        assert probe["user"] == ROLE and probe["bound"] == str(rows_of_both[own])
        for table in PROTECTED_TABLES:
            assert set(probe["seen"][table]) == {str(rows_of_both[own])}, table
            assert str(rows_of_both[other]) not in probe["seen"][table], table


def test_raw_writes_on_vendor_host_cannot_touch_another_vendors_rows(rows_of_both, vendor_a):
    response = _client(vendor_a.host).get("/__rls__/write/", {"theirs": rows_of_both["b"], "own": rows_of_both["a"]})
    assert response.status_code == 200
    outcomes = response.json()
    assert outcomes.pop("insert_membership") == {"inserted": "42501"}
    for table, outcome in outcomes.items():
        assert outcome["updated"] == 0, table
        assert outcome["deleted"] == 0, table
        # The policy's WITH CHECK: a row may not be written as another vendor's.
        assert outcome["handed_over"] == "42501", (table, outcome)
    probe = _read(PLATFORM_HOST)
    for table in PROTECTED_TABLES:
        assert str(rows_of_both["b"]) in probe["seen"][table], table


def test_marketplace_host_and_platform_code_see_every_vendor(rows_of_both):
    probe = _read(PLATFORM_HOST)
    assert probe["user"] == probe["session_user"] != ROLE and probe["bound"] == ""
    for table in PROTECTED_TABLES:
        assert {str(rows_of_both["a"]), str(rows_of_both["b"])} <= set(probe["seen"][table]), table


def test_reused_connection_carries_no_binding_to_the_next_request(rows_of_both, vendor_a, vendor_b):
    first = _read(vendor_a.host)
    platform = _read(PLATFORM_HOST)
    second = _read(vendor_b.host)
    assert first["pid"] == platform["pid"] == second["pid"]  # one connection, kept (CONN_MAX_AGE)
    assert platform["user"] != ROLE and platform["bound"] == ""
    assert str(rows_of_both["a"]) in platform["seen"]["orders_suborder"]
    assert str(rows_of_both["b"]) in platform["seen"]["orders_suborder"]
    assert set(second["seen"]["orders_suborder"]) == {str(rows_of_both["b"])}
    assert bound_schema() is None and _login_role() != ROLE


def test_a_failing_request_releases_its_binding(rows_of_both, vendor_a):
    _read(vendor_a.host, fail="1")
    assert bound_schema() is None and _login_role() != ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT vendor_id) FROM orders_suborder WHERE vendor_id = ANY(%s)",
                       [[rows_of_both["a"], rows_of_both["b"]]])
        assert cursor.fetchone()[0] == 2
    assert _read(PLATFORM_HOST)["bound"] == ""


@app.task(name="tests.isolation.row_security_probe")
def row_security_probe() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('app.vendor_id', true)")
        user, bound = cursor.fetchone()
        cursor.execute("SELECT DISTINCT vendor_id FROM vendors_membership")
        vendors = sorted(row[0] for row in cursor.fetchall())
    return {"user": user, "bound": bound or "", "vendors": vendors}


def test_task_run_for_a_vendor_is_bound_to_it(vendor_a, vendor_b):
    with schema_context(vendor_a.store.schema_name):
        bound = row_security_probe.apply().get()
    assert bound == {"user": ROLE, "bound": str(vendor_a.pk), "vendors": [vendor_a.pk]}
    public = row_security_probe.apply().get()
    assert public["user"] != ROLE and {vendor_a.pk, vendor_b.pk} <= set(public["vendors"])
    assert bound_schema() is None and _login_role() != ROLE


def test_task_run_eagerly_inside_a_vendor_request_restores_the_requests_binding(vendor_a, vendor_b):
    """As a vendor host's request is: in A's schema and bound to A; an eager task for B inside."""
    from vendors.row_security import vendor_scope

    with schema_context(vendor_a.store.schema_name), vendor_scope(vendor_a.store.schema_name):
        with schema_context(vendor_b.store.schema_name):
            inner = row_security_probe.apply().get()
        same = row_security_probe.apply().get()
        after = row_security_probe.run()  # the request's own connection state, no task machinery
    assert inner == {"user": ROLE, "bound": str(vendor_b.pk), "vendors": [vendor_b.pk]}
    assert same == after == {"user": ROLE, "bound": str(vendor_a.pk), "vendors": [vendor_a.pk]}
    assert bound_schema() is None and _login_role() != ROLE


@pytest.mark.django_db(transaction=True)
def test_tasks_on_a_real_worker_are_bound_per_task(task_worker, vendor_a, vendor_b):
    """The worker's thread keeps its connection between tasks: A's task, then a public one."""
    with schema_context(vendor_a.store.schema_name):
        on_a = row_security_probe.delay().get(timeout=30)
    on_public = row_security_probe.delay().get(timeout=30)
    with schema_context(vendor_b.store.schema_name):
        on_b = row_security_probe.delay().get(timeout=30)
    assert on_a == {"user": ROLE, "bound": str(vendor_a.pk), "vendors": [vendor_a.pk]}
    assert on_public["user"] != ROLE and on_public["bound"] == ""
    assert {vendor_a.pk, vendor_b.pk} <= set(on_public["vendors"])
    assert on_b == {"user": ROLE, "bound": str(vendor_b.pk), "vendors": [vendor_b.pk]}


def test_order_status_decided_in_a_vendor_bound_request_counts_every_vendors_part(vendor_a, vendor_b, buyer):
    """A's part ends (here: cancelled) while B's is still to ship: the order stays paid. The
    recompute runs inside A's request or task (a claim accepted on A's host syncs A's part), where
    A sees only its own sub-order; it must decide on all of them (platform_scope)."""
    from orders.models import Order, SubOrder
    from orders.services.sub_orders import _order_status_recompute
    from vendors.row_security import vendor_scope

    order = OrderFactory(buyer=buyer, items=[(vendor_a, sellable_variant(vendor_a, price=900), 1),
                                             (vendor_b, sellable_variant(vendor_b, price=700), 1)])
    SubOrder.objects.filter(order=order, vendor=vendor_a).update(status=SubOrder.Status.CANCELLED)
    with schema_context(vendor_a.store.schema_name), vendor_scope(vendor_a.store.schema_name):
        assert list(SubOrder.objects.filter(order=order).values_list("vendor_id", flat=True)) == [vendor_a.pk]
        _order_status_recompute(order=order)
        assert row_security_probe.run()["user"] == ROLE  # bound again after the platform block
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
