"""Ops console pages of money: transfers (retry), payout policies, finance reports, reconciliation,
exports with htmx progress and signed downloads; roles enforced."""

from __future__ import annotations

import pytest
from django.test import override_settings

from payouts import exports
from payouts import transfers as svc
from payouts.models import ExportJob, Transfer, VendorPayoutPolicy
from tests.factories import UserFactory
from tests.support.queued import queued_tasks
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(platform_client, finance_user):
    platform_client.force_login(finance_user)
    return platform_client


@pytest.fixture
def settled(two_vendor_order):
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    return two_vendor_order


@pytest.mark.parametrize("path", ["/ops/transfers/", "/ops/finance/", "/ops/finance/reconciliation/",
                                  "/ops/finance/exports/"])
def test_finance_pages_need_the_finance_role(platform_client, path):
    user = UserFactory()
    platform_client.force_login(user)
    assert platform_client.get(path).status_code in (403, 404)


def test_payout_policies_are_for_admins_only(platform_client, finance_user):
    platform_client.force_login(finance_user)
    assert platform_client.get("/ops/payout-policies/").status_code in (403, 404)


@override_settings(PAYOUTS_TRANSFER_RETRY_BASE_SECONDS=0)
def test_failed_transfer_is_shown_and_retried_with_htmx(two_vendor_order, vendor_a, connected, finance_client,
                                                        finance_user, django_assert_max_num_queries):
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_missing")
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    failed = Transfer.objects.get(order=two_vendor_order, vendor=vendor_a)
    assert failed.status == "failed"
    with django_assert_max_num_queries(12):
        page = finance_client.get("/ops/transfers/?status=failed")
    html = page.content.decode()
    assert page.status_code == 200 and failed.idempotency_key in html and "Retry now" in html
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=connected["a"])
    response = finance_client.post(f"/ops/transfers/{failed.pk}/retry/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Transferred" in response.content.decode()
    # The row's history: created, released, failed, released again by finance, transferred.
    row = response.content.decode()
    assert 'data-event="transfer.failed"' in row and 'data-event="transfer.transferred"' in row
    assert finance_user.email in finance_client.get("/ops/transfers/").content.decode()  # who retried it
    again = finance_client.post(f"/ops/transfers/{failed.pk}/retry/", HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert finance_client.post("/ops/transfers/99999999/retry/").status_code == 404


def test_admin_sets_a_vendor_policy_and_bad_input_is_a_form_error(platform_client, admin_user, vendor_a):
    platform_client.force_login(admin_user)
    bad = platform_client.post("/ops/payout-policies/", {"vendor": vendor_a.pk, "hold_policy": "days_after_delivery",
                                                         "hold_days": 500})
    assert bad.status_code == 400 and not VendorPayoutPolicy.objects.exists()
    ok = platform_client.post("/ops/payout-policies/", {"vendor": vendor_a.pk, "hold_policy": "on_shipment",
                                                        "hold_days": 0})
    assert ok.status_code == 302
    assert VendorPayoutPolicy.objects.get(vendor=vendor_a).hold_policy == "on_shipment"
    assert "When shipped" in platform_client.get("/ops/payout-policies/").content.decode()


def test_finance_report_shows_commissions_and_net_revenue(today, settled, finance_client, vendor_a,
                                                          django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = finance_client.get(f"/ops/finance/?date_from={today}&date_to={today}&currency=EUR")
    html = response.content.decode()
    assert response.status_code == 200
    # Worked by hand, not read back from the order: the default 10 % of 2 × 15.00 (alpha) and of
    # 9.00 (bravo) is 3.00 + 0.90; Stripe's fee on the 48.80 charged is 2.9 % + 0.30 = 1.7152 → 1.72.
    assert (settled.total_amount, settled.commission_amount, settled.stripe_fee_amount) == (4880, 390, 172)
    assert "3.90 EUR" in html
    assert vendor_a.name in html
    assert 'data-testid="net-revenue">2.18 EUR<' in html


def test_inverted_period_is_a_form_error(finance_client):
    response = finance_client.get("/ops/finance/?date_from=2026-03-10&date_to=2026-03-01&currency=EUR")
    assert response.status_code == 400 and "Must be on or after the start." in response.content.decode()


def test_reconciliation_page_shows_zero_mismatches(settled, finance_client):
    response = finance_client.get("/ops/finance/reconciliation/?run=1")
    assert response.status_code == 200 and 'data-testid="reconciliation-ok"' in response.content.decode()
    # balances read as money in the row's currency, not minor units
    from common.money import format_money_localized as format_money
    from payouts.reconciliation import reconcile

    html = response.content.decode()
    platform = reconcile().totals["platform EUR"]
    assert platform["ledger"] >= 100  # so its raw and formatted forms differ
    assert f'font-monospace">{format_money(platform["ledger"], "EUR")}<' in html
    assert f'font-monospace">{platform["ledger"]}<' not in html


def test_export_page_queues_once_polls_and_downloads(today, settled, finance_client, tmp_path, settings,
                                                     django_capture_on_commit_callbacks):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    form = {"kind": "payout_report", "format": "csv", "date_from": today, "date_to": today}
    with django_capture_on_commit_callbacks() as callbacks:
        first = finance_client.post("/ops/finance/exports/", form)
        second = finance_client.post("/ops/finance/exports/", form)
    assert first.status_code == second.status_code == 302
    job = ExportJob.objects.get()
    assert queued_tasks(callbacks) == [("payouts.tasks.export_job_run", (job.pk,), "public")]
    row = finance_client.get(f"/ops/finance/exports/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in row  # still queued: the row polls
    exports.export_job_run(job_id=job.pk)
    row = finance_client.get(f"/ops/finance/exports/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in row and "100%" in row
    link = finance_client.get(f"/ops/finance/exports/{job.pk}/progress/?download=1")
    assert link.status_code == 302 and "/ops/finance/exports/download/" in link["Location"]
    download = finance_client.get(link["Location"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"type,date,vendor_id")
    assert finance_client.get("/ops/finance/exports/download/forged:token/").status_code == 404


def test_export_bad_input_is_a_form_error(finance_client):
    response = finance_client.post("/ops/finance/exports/", {"kind": "payout_report", "format": "csv",
                                                             "date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert response.status_code == 400 and not ExportJob.objects.exists()
    response = finance_client.post("/ops/finance/exports/", {"kind": "vendor_statement", "format": "xlsx",
                                                             "date_from": "2026-03-01", "date_to": "2026-03-10",
                                                             "vendor_id": 999999})
    assert response.status_code == 400 and "Unknown vendor" in response.content.decode()
