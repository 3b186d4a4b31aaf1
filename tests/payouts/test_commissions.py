"""Commission rules: validation, overlap, resolution order, amounts, per-order fixed fees."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payouts.commissions import OrderLineInput, commission_for_line, commission_for_vendor_order
from payouts.errors import (
    CommissionInputInvalid,
    CommissionRuleInvalid,
    CommissionRuleMissing,
    CommissionRuleOverlap,
)
from payouts.models import CommissionRule
from payouts.services import commission_rule_create, commission_rule_update
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def rule(**kwargs):
    values = {"scope": "platform", "currency": "EUR", "rate_bp": 1000, "valid_from": T0}
    values.update(kwargs)
    return commission_rule_create(created_by=None, **values)


def quote(vendor_id=None, category_id=None, ancestors=(), unit=4000, qty=1, shipping=0, at=None):
    return commission_for_line(
        vendor_id=vendor_id, category_id=category_id, category_ancestor_ids=list(ancestors),
        unit_amount=unit, quantity=qty, currency="EUR", shipping_amount=shipping,
        at=at or T0 + dt.timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rate_bp": -1}, "rate_bp"),
        ({"rate_bp": 10001}, "rate_bp"),
        ({"min_per_line": 500, "max_per_line": 100}, "min_per_line"),
        ({"fixed_amount": -5}, "fixed_amount"),
        ({"valid_to": T0}, "valid_to"),
        ({"scope": "vendor"}, "vendor_id"),
        ({"scope": "category"}, "category_id"),
        ({"category_id": 3}, "category_id"),
        ({"currency": "XXX"}, "currency"),
        ({"scope": "nonsense"}, "scope"),
    ],
)
def test_invalid_rules_are_refused_with_field_errors(fields, field):
    with pytest.raises(CommissionRuleInvalid) as error:
        rule(**fields)
    assert field in error.value.fields
    assert error.value.status_code == 400
    assert not CommissionRule.objects.exists()


def test_overlapping_rules_for_same_scope_are_refused():
    first = rule(valid_to=T0 + dt.timedelta(days=30))
    with pytest.raises(CommissionRuleOverlap) as error:
        rule(valid_from=T0 + dt.timedelta(days=10))
    assert f"#{first.pk}" in error.value.message
    # Adjacent periods are fine, and other scopes / currencies never clash.
    rule(valid_from=T0 + dt.timedelta(days=30))
    rule(currency="USD")
    rule(scope="category", category_id=7)
    assert CommissionRule.objects.count() == 4


def test_database_refuses_overlap_even_bypassing_the_service():
    rule()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionRule.objects.create(scope="platform", currency="EUR", rate_bp=5,
                                      valid_from=T0 + dt.timedelta(days=3))


def test_update_checks_overlap_against_others_only():
    first = rule(valid_to=T0 + dt.timedelta(days=30))
    second = rule(valid_from=T0 + dt.timedelta(days=30))
    commission_rule_update(rule=first, rate_bp=1200)  # does not clash with itself
    with pytest.raises(CommissionRuleOverlap):
        commission_rule_update(rule=second, valid_from=T0 + dt.timedelta(days=29))
    second.refresh_from_db()
    assert second.valid_from == T0 + dt.timedelta(days=30)


def test_most_specific_rule_wins():
    vendor, other = VendorFactory(), VendorFactory()
    platform = rule(rate_bp=1000)
    category_parent = rule(scope="category", category_id=1, rate_bp=900)
    category_child = rule(scope="category", category_id=2, rate_bp=800)
    vendor_rule = rule(scope="vendor", vendor_id=vendor.pk, rate_bp=700)
    vendor_parent = rule(scope="vendor_category", vendor_id=vendor.pk, category_id=1, rate_bp=600)
    assert quote(vendor.pk, 2, [1]).rule_id == vendor_parent.pk
    assert quote(vendor.pk, 3, []).rule_id == vendor_rule.pk
    assert quote(other.pk, 2, [1]).rule_id == category_child.pk
    assert quote(other.pk, 5, [1]).rule_id == category_parent.pk
    assert quote(other.pk, 9, []).rule_id == platform.pk
    assert quote(None, None, []).rule_id == platform.pk
    vendor_child = rule(scope="vendor_category", vendor_id=vendor.pk, category_id=2, rate_bp=500)
    assert quote(vendor.pk, 2, [1]).rule_id == vendor_child.pk


def test_validity_dates_select_the_rule_in_force():
    old = rule(rate_bp=1000, valid_to=T0 + dt.timedelta(days=30))
    new = rule(rate_bp=1500, valid_from=T0 + dt.timedelta(days=30))
    assert quote(at=T0 + dt.timedelta(days=29)).rule_id == old.pk
    assert quote(at=T0 + dt.timedelta(days=30)).rule_id == new.pk
    with pytest.raises(CommissionRuleMissing):
        quote(at=T0 - dt.timedelta(days=1))


def test_amounts_percentage_fixed_min_max_and_shipping():
    rule(rate_bp=1250, fixed_amount=30, min_per_line=100, max_per_line=2000,
         shipping_commissionable=True)
    # 12.5% of (4000 + 500) = 562.5 → 563 (half up) + 30 fixed
    q = quote(unit=4000, shipping=500)
    assert (q.amount, q.base_amount) == (593, 4500)
    assert quote(unit=100).amount == 100  # 12.5 + 30 → 43, raised to the minimum
    assert quote(unit=50000).amount == 2000  # capped by the maximum
    # Never more than the line itself.
    assert quote(unit=50).amount == 50


def test_shipping_not_commissionable_by_default():
    rule(rate_bp=1000)
    assert quote(unit=4000, shipping=1000).amount == 400


def test_preview_input_errors_are_domain_errors():
    rule()
    with pytest.raises(CommissionInputInvalid):
        quote(qty=0)
    with pytest.raises(CommissionInputInvalid):
        quote(unit=-1)
    with pytest.raises(CommissionInputInvalid):
        commission_for_line(vendor_id=None, category_id=None, category_ancestor_ids=[],
                            unit_amount=1, quantity=1, currency="ZZZ")


def test_per_order_fixed_fee_is_charged_once_and_split_exactly():
    vendor = VendorFactory()
    rule(scope="vendor", vendor_id=vendor.pk, rate_bp=0, fixed_amount=100, fixed_per="order")
    lines = [OrderLineInput(None, [], 1000, 1), OrderLineInput(None, [], 1000, 1),
             OrderLineInput(None, [], 1000, 1)]
    quotes = commission_for_vendor_order(vendor_id=vendor.pk, currency="EUR", lines=lines,
                                         at=timezone.now())
    assert [q.amount for q in quotes] == [34, 33, 33]
