"""Money is public-schema data keyed by vendor: a vendor's host shows only its own, everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from payouts import transfers as svc
from payouts.payouts import payout_record_apply
from tests.factories.orders import paid_orders, sellable_variant

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


@pytest.fixture
def a_only_order(paid_order, vendor_a, vendor_b, connected):
    variant = sellable_variant(vendor_a, price=4321, stock=5)
    order = paid_order((vendor_a, variant, 1), token="iso")
    svc.transfers_create_for_order(order_id=order.pk)
    svc.transfers_release_due()
    payout_record_apply(data={"id": "po_isolation_a", "amount": 500, "currency": "eur", "status": "paid"},
                        account_id=connected["a"], event_created=int(timezone.now().timestamp()))
    return order


def test_vendor_b_money_page_shows_nothing_of_a(a_only_order, vendor_b, owner_b, client_for):
    html = client_for(vendor_b, owner_b).get("/dashboard/money/").content.decode()
    assert f"#{a_only_order.number}" not in html
    assert "po_isolation_a" not in html
    assert "43.21" not in html
    assert "No paid orders yet" in html


def test_vendor_b_statement_has_no_rows_of_a(a_only_order, vendor_b, owner_b, client_for):
    period = a_only_order.paid_at.strftime("%Y-%m")
    response = client_for(vendor_b, owner_b).get(f"/dashboard/money/statements/{period}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows] == ["section", "total"]
    pdf = client_for(vendor_b, owner_b).get(f"/dashboard/money/statements/{period}.pdf")
    assert b"No sales in this month." in pdf.content
    assert f"({a_only_order.number})".encode() not in pdf.content


def test_owner_of_a_gets_404_on_b_host(a_only_order, vendor_b, owner_a, client_for):
    client = client_for(vendor_b, owner_a)
    assert client.get("/dashboard/money/").status_code == 404
    period = a_only_order.paid_at.strftime("%Y-%m")
    assert client.get(f"/dashboard/money/statements/{period}.csv").status_code == 404


def test_vendor_hosts_have_no_finance_pages(a_only_order, vendor_a, owner_a, client_for):
    client = client_for(vendor_a, owner_a)
    for path in ("/ops/transfers/", "/ops/finance/", "/ops/finance/exports/", "/ops/finance/reconciliation/"):
        assert client.get(path).status_code == 404


def test_api_lists_only_own_transfers_and_404s_on_others(a_only_order, vendor_a, vendor_b, owner_a, owner_b,
                                                         client_for):
    from payouts.models import Transfer

    transfer_a = Transfer.objects.get(order=a_only_order, vendor=vendor_a)
    own = client_for(vendor_a, owner_a).get("/api/v1/vendor/money/")
    assert own.status_code == 200 and [t["id"] for t in own.json()["results"]] == [transfer_a.pk]
    assert own.json()["balances"]["available"] == transfer_a.amount - 500  # minus the 5.00 payout
    assert client_for(vendor_a, owner_a).get(f"/api/v1/vendor/money/transfers/{transfer_a.pk}/").status_code == 200
    other = client_for(vendor_b, owner_b)
    listed = other.get("/api/v1/vendor/money/")
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert listed.json()["balances"] == {"pending": 0, "available": 0, "reserved": 0, "paid_out": 0}
    response = other.get(f"/api/v1/vendor/money/transfers/{transfer_a.pk}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "transfer_not_found"
    # a member of A, on B's host, is not a member there
    assert client_for(vendor_b, owner_a).get("/api/v1/vendor/money/").status_code == 403


def test_export_task_for_vendor_b_has_no_rows_of_a(a_only_order, vendor_b, finance_user, tmp_path, settings):
    import csv as _csv
    import io as _io

    from payouts import exports
    from payouts.models import ExportJob

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    day = a_only_order.paid_at.date().isoformat()
    job, _created = exports.export_request(kind=ExportJob.Kind.VENDOR_STATEMENT, fmt="csv",
                                           params={"date_from": day, "date_to": day, "vendor_id": vendor_b.pk},
                                           user=finance_user)
    job = exports.export_job_run(job_id=job.pk)
    with exports.export_open(job) as handle:
        rows = list(_csv.reader(_io.StringIO(handle.read().decode())))
    assert rows[1:] == []
    payout_report, _created = exports.export_request(
        kind=ExportJob.Kind.PAYOUT_REPORT, fmt="csv", params={"date_from": day, "date_to": day,
                                                              "vendor_id": vendor_b.pk}, user=finance_user)
    with exports.export_open(exports.export_job_run(job_id=payout_report.pk)) as handle:
        assert handle.read().decode().count("\n") == 1  # the header only
