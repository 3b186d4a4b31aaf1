"""Ops console pages and API for commissions and the ledger: permissions, errors, query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from payouts.ledger import postings as ledger
from payouts.ledger.selectors import account_balance
from payouts.ledger.services import account_for
from payouts.models import AccountCode, CommissionRule, JournalEntry
from payouts.services import commission_rule_create
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def platform_rule():
    return commission_rule_create(created_by=None, scope="platform", currency="EUR",
                                  rate_bp=1000, valid_from=T0)


def test_rules_api_is_admin_only(client_for, finance_user, buyer):
    assert client_for("marketplace.localhost").get("/api/v1/ops/commission-rules/").status_code in (401, 403)
    for user in (finance_user, buyer):
        response = client_for("marketplace.localhost", user).get("/api/v1/ops/commission-rules/")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_rules_api_create_list_update(client_for, admin_user):
    api = client_for("marketplace.localhost", admin_user)
    response = api.post("/api/v1/ops/commission-rules/", data={
        "scope": "platform", "currency": "EUR", "rate_bp": 1200,
        "valid_from": "2026-01-01T00:00:00Z",
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    assert api.get("/api/v1/ops/commission-rules/").json()["results"][0]["id"] == rule_id
    patched = api.patch(f"/api/v1/ops/commission-rules/{rule_id}/", data={"rate_bp": 1300},
                        content_type="application/json")
    assert patched.status_code == 200 and patched.json()["rate_bp"] == 1300
    assert api.get("/api/v1/ops/commission-rules/999999/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"rate_bp": -5}, 400, "commission_rule_invalid", "rate_bp"),
        ({"rate_bp": 20000}, 400, "commission_rule_invalid", "rate_bp"),
        ({"min_per_line": 9, "max_per_line": 1}, 400, "commission_rule_invalid", "min_per_line"),
        ({"valid_from": "nope"}, 400, "invalid", "valid_from"),
        ({"valid_from": "2026-02-01T00:00:00Z"}, 409, "commission_rule_overlap", "valid_from"),
    ],
)
def test_rules_api_bad_input(client_for, admin_user, platform_rule, payload, status, code, field):
    body = {"scope": "platform", "currency": "EUR", "rate_bp": 1000,
            "valid_from": "2027-01-01T00:00:00Z", **payload}
    response = client_for("marketplace.localhost", admin_user).post(
        "/api/v1/ops/commission-rules/", data=body, content_type="application/json")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"]
    assert CommissionRule.objects.count() == 1


def test_preview_api(client_for, admin_user, platform_rule):
    vendor = VendorFactory()
    response = client_for("marketplace.localhost", admin_user).post(
        "/api/v1/ops/commission-preview/",
        data={"vendor_id": vendor.pk, "category_id": 5, "category_ancestor_ids": [2],
              "unit_amount": 4000, "currency": "eur"},
        content_type="application/json")
    assert response.status_code == 200
    assert response.json() | {} == {
        "rule_id": platform_rule.pk, "scope": "platform", "amount": 400, "currency": "EUR",
        "base_amount": 4000, "rate_bp": 1000, "order_fixed_amount": 0,
    }
    bad = client_for("marketplace.localhost", admin_user).post(
        "/api/v1/ops/commission-preview/", data={"unit_amount": -1, "currency": "EUR"},
        content_type="application/json")
    assert bad.status_code == 400 and "unit_amount" in bad.json()["error"]["fields"]
    missing = client_for("marketplace.localhost", admin_user).post(
        "/api/v1/ops/commission-preview/", data={"unit_amount": 1, "currency": "USD"},
        content_type="application/json")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "commission_rule_missing"


def test_commission_pages_for_admin_only(client_for, admin_user, finance_user, platform_rule,
                                         django_assert_max_num_queries):
    assert client_for("marketplace.localhost", finance_user).get("/ops/commissions/").status_code == 403
    admin = client_for("marketplace.localhost", admin_user)
    with django_assert_max_num_queries(12):
        page = admin.get("/ops/commissions/")
    assert page.status_code == 200
    assert f"/ops/commissions/{platform_rule.pk}/".encode() in page.content
    assert admin.get("/ops/commissions/new/").status_code == 200
    assert admin.get(f"/ops/commissions/{platform_rule.pk}/").status_code == 200
    assert admin.get("/ops/commissions/999999/").status_code == 404


def _rule_form(**overrides):
    data = {"scope": "platform", "currency": "EUR", "rate_percent": "12.5", "fixed_amount": "",
            "fixed_per": "line", "valid_from": "2027-01-01T00:00", "note": ""}
    data.update(overrides)
    return data


def test_commission_form_creates_and_shows_inline_errors(client_for, admin_user, platform_rule):
    admin = client_for("marketplace.localhost", admin_user)
    response = admin.post("/ops/commissions/new/", _rule_form(currency="USD"))
    assert response.status_code == 302
    assert CommissionRule.objects.get(currency="USD").rate_bp == 1250
    # Inline (htmx) validation: errors without saving.
    invalid = admin.post("/ops/commissions/new/",
                         _rule_form(rate_percent="150", min_per_line="5", max_per_line="1",
                                    _validate="1"),
                         HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200
    assert b"100%" in invalid.content and b"greater than the maximum" in invalid.content
    overlap = admin.post("/ops/commissions/new/", _rule_form(currency="USD", valid_from="2027-06-01T00:00"))
    assert overlap.status_code == 400 and b"Overlaps rule" in overlap.content
    negative = admin.post("/ops/commissions/new/", _rule_form(rate_percent="-1",
                                                              valid_from="2030-01-01T00:00"))
    assert negative.status_code == 400 and b"cannot be negative" in negative.content
    assert CommissionRule.objects.count() == 2


def test_commission_preview_page(client_for, admin_user, platform_rule):
    admin = client_for("marketplace.localhost", admin_user)
    response = admin.post("/ops/commissions/preview/", {"price": "40.00", "quantity": "1",
                                                        "currency": "EUR"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"4.00 EUR" in response.content
    bad = admin.post("/ops/commissions/preview/", {"price": "4.001", "quantity": "1",
                                                   "currency": "EUR"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and b"at most 2 decimals" in bad.content


def _orders(count, vendor):
    for n in range(count):
        ledger.post_payment_captured(order_id=n, amount=1000, currency="EUR",
                                     vendor_shares=[(vendor.pk, 1000, 100)], stripe_fee=30,
                                     key=f"pi_{vendor.pk}_{n}")


def test_ledger_page_for_finance_with_pinned_queries(client_for, finance_user, buyer,
                                                     django_assert_max_num_queries):
    vendor = VendorFactory(name="Ledgerly")
    _orders(30, vendor)
    assert client_for("marketplace.localhost", buyer).get("/ops/ledger/").status_code == 403
    client = client_for("marketplace.localhost", finance_user)
    with django_assert_max_num_queries(12):
        page = client.get("/ops/ledger/")
    assert page.status_code == 200
    assert b"291.00 EUR" in page.content  # platform cash: 30 × (1000 − 30) minor units
    assert b"Page 1 of 2" in page.content
    with django_assert_max_num_queries(12):
        filtered = client.get(f"/ops/ledger/?vendor={vendor.pk}&kind=payment_captured&page=2")
    assert filtered.status_code == 200 and b"Ledgerly" in filtered.content
    empty = client.get("/ops/ledger/?kind=payout")
    assert b"No journal entries match." in empty.content


def test_adjustment_form(client_for, finance_user, admin_user):
    vendor = VendorFactory()
    client = client_for("marketplace.localhost", finance_user)
    assert client.get("/ops/ledger/adjustments/").status_code == 200
    base = {"key": "adjustment:test-1", "currency": "EUR", "reason": "Bank fee correction",
            "lines-TOTAL_FORMS": "4", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "10",
            "lines-0-account": "adjustments", "lines-0-debit": "1.50",
            "lines-1-account": "vendor_pending", "lines-1-vendor": str(vendor.pk)}
    unbalanced = client.post("/ops/ledger/adjustments/", {**base, "lines-1-credit": "1.49"})
    assert unbalanced.status_code == 400 and b"does not balance" in unbalanced.content
    assert not JournalEntry.objects.exists()
    no_vendor = client.post("/ops/ledger/adjustments/", {**base, "lines-1-vendor": "",
                                                         "lines-1-credit": "1.50"})
    assert no_vendor.status_code == 400 and not JournalEntry.objects.exists()
    ok = client.post("/ops/ledger/adjustments/", {**base, "lines-1-credit": "1.50"})
    assert ok.status_code == 302
    entry = JournalEntry.objects.get()
    assert (entry.kind, entry.memo, entry.created_by) == ("adjustment", "Bank fee correction",
                                                          finance_user)
    pending = account_for(code=AccountCode.VENDOR_PENDING, currency="EUR", vendor_id=vendor.pk)
    assert account_balance(pending) == -150
    # A double submit of the same form posts nothing new.
    assert client.post("/ops/ledger/adjustments/", {**base, "lines-1-credit": "1.50"}).status_code == 302
    assert JournalEntry.objects.count() == 1
