"""Ops API of exports and transfer retries: 4xx with the error body on bad input, roles enforced."""

from __future__ import annotations

import pytest

from payouts.models import ExportJob
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(platform_client, finance_user):
    platform_client.force_login(finance_user)
    return platform_client


def test_export_requested_twice_is_201_then_200_same_job(today, api, django_capture_on_commit_callbacks):
    body = {"kind": "commission_report", "format": "xlsx", "date_from": today.isoformat(), "date_to": today.isoformat()}
    with django_capture_on_commit_callbacks() as callbacks:
        first = api.post("/api/v1/ops/exports/", body, content_type="application/json")
        second = api.post("/api/v1/ops/exports/", body, content_type="application/json")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert queued_tasks(callbacks) == [("payouts.tasks.export_job_run", (first.json()["id"],), "public")]
    detail = api.get(f"/api/v1/ops/exports/{first.json()['id']}/")
    assert detail.status_code == 200 and detail.json()["status"] == "queued" and detail.json()["download_url"] is None
    assert api.get("/api/v1/ops/exports/").json()["count"] == 1


@pytest.mark.parametrize("body,code,field", [
    ({"kind": "payout_report", "format": "csv", "date_from": "2026-03-10", "date_to": "2026-03-01"},
     "report_period_invalid", "date_to"),
    ({"kind": "payout_report", "format": "csv"}, "report_period_invalid", "date_from"),
    ({"kind": "vendor_statement", "format": "csv", "date_from": "2026-03-01", "date_to": "2026-03-02",
      "vendor_id": 99999}, "export_request_invalid", "vendor_id"),
    ({"kind": "nope", "format": "csv"}, None, "kind"),
])
def test_bad_export_requests_are_400_with_the_error_body(api, body, code, field):
    response = api.post("/api/v1/ops/exports/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    assert field in error["fields"] and error["message"]
    assert not ExportJob.objects.exists()


def test_unknown_ids_are_404(api):
    assert api.get("/api/v1/ops/exports/424242/").status_code == 404
    response = api.post("/api/v1/ops/transfers/424242/retry/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "transfer_not_found"


def test_not_finance_is_refused(platform_client, buyer, owner_a):
    for user in (buyer, owner_a):
        platform_client.force_login(user)
        assert platform_client.get("/api/v1/ops/exports/").status_code == 403
    platform_client.logout()
    assert platform_client.get("/api/v1/ops/exports/").status_code in (401, 403)
