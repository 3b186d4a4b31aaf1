"""Commission amounts against an oracle written here from the rules' definition, not from the code.

The oracle uses exact fractions and none of `common.money` (`percentage_of`, `allocate`): a
rounding or clamping bug shared by the code and its test cannot pass unseen.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payouts.commissions import OrderLineInput, commission_for_line, commission_for_vendor_order
from payouts.services import commission_rule_create
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AT = T0 + dt.timedelta(days=1)


# --- the oracle -------------------------------------------------------------------------------
def half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero (amounts here are never negative)."""
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * rest >= value.denominator else 0)


def oracle_line(*, rate_bp: int, fixed: int, per_line_fixed: bool, minimum: int | None, maximum: int | None,
                shipping_commissionable: bool, unit: int, qty: int, shipping: int) -> int:
    """A line's commission by the rule's definition: rate × base (shipping in the base only when the
    rule says so), plus the fixed fee when it is per line, raised to the minimum, lowered to the
    maximum, and never more than the line's own amount with its shipping."""
    goods = unit * qty
    base = goods + (shipping if shipping_commissionable else 0)
    amount = half_up(Fraction(base * rate_bp, 10_000)) + (fixed if per_line_fixed else 0)
    if minimum is not None and amount < minimum:
        amount = minimum
    if maximum is not None and amount > maximum:
        amount = maximum
    return min(amount, goods + shipping)


def oracle_split(fee: int, weights: list[int]) -> list[int]:
    """`fee` shared in proportion to `weights`, whole units: each its exact share rounded down, the
    units left over one each to the largest fractions, earlier lines first on a tie; all to the
    first line when every weight is zero."""
    total = sum(weights)
    if total == 0:
        return [fee] + [0] * (len(weights) - 1)
    exact = [Fraction(fee * weight, total) for weight in weights]
    shares = [int(share) for share in exact]  # floor: shares are never negative
    by_fraction = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_fraction[: fee - sum(shares)]:
        shares[i] += 1
    return shares


# --- the rules and lines drawn --------------------------------------------------------------------
bounds = st.tuples(st.none() | st.integers(0, 50_000), st.none() | st.integers(0, 50_000)).filter(
    lambda b: b[0] is None or b[1] is None or b[0] <= b[1])
rules = st.fixed_dictionaries({
    "rate_bp": st.integers(0, 10_000) | st.sampled_from([0, 1, 5, 50, 1250, 3333, 10_000]),
    "fixed_amount": st.integers(0, 5_000) | st.just(0),
    "fixed_per": st.sampled_from(["line", "order"]),
    "bounds": bounds,
    "shipping_commissionable": st.booleans(),
})
line = st.tuples(st.integers(0, 200_000), st.integers(1, 12), st.integers(0, 3_000))


def _rule(vendor_id: int, spec: dict) -> None:
    minimum, maximum = spec["bounds"]
    commission_rule_create(created_by=None, scope="vendor", vendor_id=vendor_id, currency="EUR",
                           rate_bp=spec["rate_bp"], fixed_amount=spec["fixed_amount"], fixed_per=spec["fixed_per"],
                           min_per_line=minimum, max_per_line=maximum,
                           shipping_commissionable=spec["shipping_commissionable"], valid_from=T0)


def _oracle_line(spec: dict, unit: int, qty: int, shipping: int) -> int:
    minimum, maximum = spec["bounds"]
    return oracle_line(rate_bp=spec["rate_bp"], fixed=spec["fixed_amount"], per_line_fixed=spec["fixed_per"] == "line",
                       minimum=minimum, maximum=maximum, shipping_commissionable=spec["shipping_commissionable"],
                       unit=unit, qty=qty, shipping=shipping)


@pytest.fixture
def vendor_id() -> int:
    return VendorFactory().pk


def test_the_oracle_itself_on_figures_worked_by_hand() -> None:
    """The oracle is checked on its own first: figures computed on paper."""
    # 12.5 % of 45.00 = 5.625 → 5.63, + 0.30 fixed = 5.93
    assert oracle_line(rate_bp=1250, fixed=30, per_line_fixed=True, minimum=100, maximum=2000,
                       shipping_commissionable=True, unit=4000, qty=1, shipping=500) == 593
    assert oracle_line(rate_bp=1250, fixed=30, per_line_fixed=True, minimum=100, maximum=None,
                       shipping_commissionable=False, unit=100, qty=1, shipping=0) == 100  # 13 + 30 < 100
    assert oracle_line(rate_bp=1000, fixed=0, per_line_fixed=True, minimum=None, maximum=700,
                       shipping_commissionable=False, unit=5000, qty=2, shipping=0) == 700
    assert oracle_line(rate_bp=500, fixed=0, per_line_fixed=True, minimum=None, maximum=None,
                       shipping_commissionable=False, unit=10, qty=1, shipping=0) == 1  # 0.5 → 1 (half up)
    assert oracle_line(rate_bp=500, fixed=0, per_line_fixed=True, minimum=None, maximum=None,
                       shipping_commissionable=False, unit=9, qty=1, shipping=0) == 0  # 0.45 → 0
    assert oracle_line(rate_bp=0, fixed=0, per_line_fixed=True, minimum=900, maximum=None,
                       shipping_commissionable=False, unit=300, qty=2, shipping=100) == 700  # capped by the line
    assert oracle_split(100, [1000, 1000, 1000]) == [34, 33, 33]
    assert oracle_split(10, [1, 2]) == [3, 7]  # 3.33 and 6.67: the larger fraction gets the unit
    assert oracle_split(5, [0, 0]) == [5, 0]


@SETTINGS
@given(spec=rules, drawn=line)
@example(spec={"rate_bp": 1250, "fixed_amount": 30, "fixed_per": "line", "bounds": (100, 2000),
               "shipping_commissionable": True}, drawn=(4000, 1, 500))
@example(spec={"rate_bp": 500, "fixed_amount": 0, "fixed_per": "line", "bounds": (None, None),
               "shipping_commissionable": False}, drawn=(10, 1, 0))  # exactly half a unit
@example(spec={"rate_bp": 1000, "fixed_amount": 200, "fixed_per": "line", "bounds": (500, 500),
               "shipping_commissionable": False}, drawn=(100_000, 1, 0))  # min = max
@example(spec={"rate_bp": 0, "fixed_amount": 0, "fixed_per": "line", "bounds": (900, None),
               "shipping_commissionable": False}, drawn=(300, 2, 100))  # the minimum beyond the line
def test_line_commission_matches_the_oracle(vendor_id, spec, drawn) -> None:
    unit, qty, shipping = drawn
    with transaction.atomic():
        _rule(vendor_id, spec)
        quote = commission_for_line(vendor_id=vendor_id, category_id=None, category_ancestor_ids=[],
                                    unit_amount=unit, quantity=qty, shipping_amount=shipping, currency="EUR", at=AT)
        assert quote.amount == _oracle_line(spec, unit, qty, shipping)
        assert quote.base_amount == unit * qty + (shipping if spec["shipping_commissionable"] else 0)
        assert quote.order_fixed_amount == (spec["fixed_amount"] if spec["fixed_per"] == "order" else 0)
        transaction.set_rollback(True)


@SETTINGS
@given(spec=rules, lines=st.lists(line, min_size=1, max_size=6))
@example(spec={"rate_bp": 0, "fixed_amount": 100, "fixed_per": "order", "bounds": (None, None),
               "shipping_commissionable": False}, lines=[(1000, 1, 0), (2000, 1, 0), (4000, 1, 0)])
@example(spec={"rate_bp": 1000, "fixed_amount": 10, "fixed_per": "order", "bounds": (50, 300),
               "shipping_commissionable": False}, lines=[(100, 1, 0), (200, 1, 0)])
def test_a_sub_order_commission_matches_the_oracle_line_by_line(vendor_id, spec, lines) -> None:
    """Per line as above; a per-order fee once, in shares by the lines' goods amounts, on top."""
    with transaction.atomic():
        _rule(vendor_id, spec)
        quotes = commission_for_vendor_order(
            vendor_id=vendor_id, currency="EUR", at=AT,
            lines=[OrderLineInput(None, [], unit, qty, shipping) for unit, qty, shipping in lines])
        expected = [_oracle_line(spec, unit, qty, shipping) for unit, qty, shipping in lines]
        if spec["fixed_per"] == "order":
            shares = oracle_split(spec["fixed_amount"], [unit * qty for unit, qty, _shipping in lines])
            expected = [amount + share for amount, share in zip(expected, shares, strict=True)]
        assert [q.amount for q in quotes] == expected
        transaction.set_rollback(True)
