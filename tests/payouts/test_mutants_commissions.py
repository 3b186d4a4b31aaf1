"""Commissions: what mutation testing found unguarded (docs/mutation.md, module `commissions`).

Expected figures are worked by hand here (rates of 10 %, 20 % and 100 % on round amounts), never
computed with `common.money`: checkout's cart-wide commission source (`cart_commission`, the
category chains it reads once per cart), defaults, input checks before any rule lookup, the
`at` of a quote, one rules query per sub-order and none with the cart's rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection

from marketplace.models import Category
from marketplace.services import category_create
from orders.pricing import LineInput, PricedLine
from payouts.commissions import (
    CommissionQuote,
    OrderLineInput,
    cart_commission,
    commission_for_line,
    commission_for_vendor_order,
    line_commission,
    rules_for_cart,
)
from payouts.errors import CommissionInputInvalid
from payouts.models import CommissionRule
from payouts.services import commission_rule_create
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
AT = T0 + dt.timedelta(days=1)
# No platform default exists in this currency unless a test makes one: a line without a rule
# raises CommissionRuleMissing rather than falling back on another test's rule.
CUR = "EUR"


def rule(**kwargs) -> CommissionRule:
    values = {"scope": "platform", "currency": CUR, "rate_bp": 1000, "valid_from": T0}
    values.update(kwargs)
    return commission_rule_create(created_by=None, **values)


def priced(vendor_id: int, category_id: int | None, amount: int, key: str = "a") -> PricedLine:
    source = LineInput(key=key, vendor_id=vendor_id, product_id=1, variant_id=1, sku=key, name=key,
                       quantity=1, unit_price=amount, category_id=category_id)
    return PricedLine(source, amount)


@pytest.fixture
def taxonomy() -> dict[str, Category]:
    """root > child > leaf, and an unrelated root `other`."""
    root = category_create(name="Home")
    child = category_create(name="Kitchen", parent=root)
    leaf = category_create(name="Knives", parent=child)
    other = category_create(name="Garden")
    return {"root": root, "child": child, "leaf": leaf, "other": other}


# --- checkout's source: cart_commission --------------------------------------------------------
def test_a_rule_on_a_grandparent_category_applies_at_checkout(taxonomy):
    vendor = VendorFactory()
    rule(rate_bp=1000)
    on_root = rule(scope="category", category_id=taxonomy["root"].pk, rate_bp=2000)
    source = cart_commission(category_ids={taxonomy["leaf"].pk}, vendor_ids={vendor.pk})
    # 20 % of 100.00 from the root's rule, not the platform's 10 %
    assert source(vendor.pk, [priced(vendor.pk, taxonomy["leaf"].pk, 10_000)], CUR) == [(on_root.pk, 2_000)]


def test_the_source_without_cart_hints_reads_the_chains_itself(taxonomy):
    vendor = VendorFactory()
    platform = rule(rate_bp=1000)
    on_child = rule(scope="category", category_id=taxonomy["child"].pk, rate_bp=2000)
    source = cart_commission()
    assert source(vendor.pk, [priced(vendor.pk, taxonomy["leaf"].pk, 10_000),
                              priced(vendor.pk, None, 5_000, "b")], CUR) == [(on_child.pk, 2_000), (platform.pk, 500)]


def test_every_vendor_of_the_cart_gets_its_categories_rules_with_one_chain_and_one_rule_read(
        taxonomy, django_assert_num_queries):
    first, second = VendorFactory(), VendorFactory()
    platform = rule(rate_bp=1000)
    on_root = rule(scope="category", category_id=taxonomy["root"].pk, rate_bp=2000)
    source = cart_commission(category_ids={taxonomy["other"].pk, taxonomy["leaf"].pk},
                             vendor_ids={first.pk, second.pk})
    # chains: {other, leaf}, then {child}, then {root}: three reads; the rules: one read
    with django_assert_num_queries(4):
        assert source(first.pk, [priced(first.pk, taxonomy["other"].pk, 10_000)], CUR) == [(platform.pk, 1_000)]
        assert source(second.pk, [priced(second.pk, taxonomy["leaf"].pk, 10_000)], CUR) == [(on_root.pk, 2_000)]


def test_a_line_without_category_takes_no_category_chain_even_beside_category_1():
    """`chains.get(category_id or 0)`: a line without category must not borrow the chain of the
    category whose id happens to be 1."""
    with connection.cursor() as cursor:  # the ids handed out from here on are past 1
        cursor.execute("SELECT setval(pg_get_serial_sequence('marketplace_category', 'id'), "
                       "GREATEST(nextval(pg_get_serial_sequence('marketplace_category', 'id')), 2))")
    assert not Category.objects.filter(pk=1).exists()
    root = category_create(name="Home")
    one = Category.objects.create(pk=1, parent=root, name="One", slug="one", path="home/one", depth=1)
    vendor = VendorFactory()
    platform = rule(rate_bp=1000)
    on_root = rule(scope="category", category_id=root.pk, rate_bp=2000)
    source = cart_commission(category_ids={one.pk}, vendor_ids={vendor.pk})
    assert source(vendor.pk, [priced(vendor.pk, one.pk, 10_000), priced(vendor.pk, None, 10_000, "b")], CUR) == [
        (on_root.pk, 2_000), (platform.pk, 1_000)]


def test_a_vendor_without_any_rule_pays_the_flat_fallback_rate():
    vendor = VendorFactory()
    source = cart_commission(category_ids=set(), vendor_ids={vendor.pk})
    # no rule at all in this currency: the flat 10 % of 123.40
    assert source(vendor.pk, [priced(vendor.pk, None, 12_340)], "SEK") == [(None, 1_234)]


# --- commission_for_vendor_order ----------------------------------------------------------------
def test_a_sub_order_reads_its_categories_rules_in_one_query_and_none_with_the_carts(
        taxonomy, django_assert_num_queries):
    vendor = VendorFactory()
    rule(rate_bp=1000)
    on_root = rule(scope="category", category_id=taxonomy["root"].pk, rate_bp=2000)
    leaf, child, root = taxonomy["leaf"].pk, taxonomy["child"].pk, taxonomy["root"].pk
    lines = [OrderLineInput(leaf, [child, root], 10_000, 1), OrderLineInput(None, [], 10_000, 2),
             OrderLineInput(child, [root], 5_000, 1)]
    with django_assert_num_queries(1):
        quotes = commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, lines=lines, at=AT)
    assert [(q.rule_id, q.amount) for q in quotes] == [(on_root.pk, 2_000), (quotes[1].rule_id, 2_000),
                                                       (on_root.pk, 1_000)]
    assert quotes[1].scope == "platform"
    rules = rules_for_cart(vendor_ids=[vendor.pk], category_ids=[leaf, child, root], currency=CUR, at=AT)
    with django_assert_num_queries(0):
        again = commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, lines=lines, at=AT, rules=rules)
    assert again == quotes


def test_the_rules_given_are_the_ones_used():
    vendor = VendorFactory()
    rule(rate_bp=1000)
    rules = rules_for_cart(vendor_ids=[vendor.pk], category_ids=[], currency=CUR, at=AT)
    rule(scope="vendor", vendor_id=vendor.pk, rate_bp=5000)  # made after the cart's rules were read
    quotes = commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, at=AT, rules=rules,
                                         lines=[OrderLineInput(None, [], 10_000, 1)])
    assert [(q.scope, q.amount) for q in quotes] == [("platform", 1_000)]


def test_a_quote_uses_the_rule_in_force_at_the_time_given_and_now_by_default():
    vendor = VendorFactory()
    rule(rate_bp=1000, valid_to=T1)
    rule(rate_bp=2000, valid_from=T1)
    line = [OrderLineInput(None, [], 10_000, 1)]
    assert commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, lines=line, at=AT)[0].amount == 1_000
    assert commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, lines=line)[0].amount == 2_000


def test_bad_lines_are_refused_before_any_rule_is_looked_up(taxonomy):
    vendor = VendorFactory()
    rule(scope="category", category_id=taxonomy["root"].pk, rate_bp=2000)  # no platform default
    lines = [OrderLineInput(taxonomy["other"].pk, [], 10_000, 1),  # no rule for this one
             OrderLineInput(taxonomy["root"].pk, [], 10_000, 0)]
    with pytest.raises(CommissionInputInvalid) as error:
        commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, lines=lines, at=AT)
    assert "quantity" in error.value.fields


def test_a_boolean_is_not_a_quantity():
    vendor = VendorFactory()
    rule(rate_bp=1000)
    with pytest.raises(CommissionInputInvalid) as error:
        commission_for_line(vendor_id=vendor.pk, category_id=None, category_ancestor_ids=[],
                            unit_amount=10_000, quantity=True, currency=CUR, at=AT)
    assert "quantity" in error.value.fields


# --- defaults and snapshots ---------------------------------------------------------------------
def test_shipping_defaults_to_nothing_everywhere():
    """A 100 % rule with shipping commissionable: any invented shipping would show in the amount."""
    vendor = VendorFactory()
    full = rule(rate_bp=10_000, shipping_commissionable=True)
    assert line_commission(full, unit_amount=1_000, quantity=1) == (1_000, 1_000)
    quote = commission_for_line(vendor_id=vendor.pk, category_id=None, category_ancestor_ids=[],
                                unit_amount=1_000, quantity=1, currency=CUR, at=AT)
    assert (quote.amount, quote.base_amount) == (1_000, 1_000)
    quotes = commission_for_vendor_order(vendor_id=vendor.pk, currency=CUR, at=AT,
                                         lines=[OrderLineInput(None, [], 1_000, 1)])
    assert [(q.amount, q.base_amount) for q in quotes] == [(1_000, 1_000)]


def test_quotes_and_line_inputs_cannot_be_changed_after_the_fact():
    quote = CommissionQuote(rule_id=1, scope="platform", amount=100, currency=CUR, base_amount=1_000,
                            rate_bp=1000, order_fixed_amount=0)
    line = OrderLineInput(None, [], 1_000, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quote.amount = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.unit_amount = 0  # type: ignore[misc]


def test_a_category_and_its_parent_in_one_cart_read_each_level_once(taxonomy, django_assert_num_queries):
    vendor = VendorFactory()
    on_root = rule(scope="category", category_id=taxonomy["root"].pk, rate_bp=2000)
    leaf, child = taxonomy["leaf"].pk, taxonomy["child"].pk
    source = cart_commission(category_ids={leaf, child}, vendor_ids={vendor.pk})
    # chains: {leaf, child}, then {root} (child is known already); the rules: one read
    with django_assert_num_queries(3):
        assert source(vendor.pk, [priced(vendor.pk, leaf, 10_000), priced(vendor.pk, child, 5_000, "b")], CUR) == [
            (on_root.pk, 2_000), (on_root.pk, 1_000)]
