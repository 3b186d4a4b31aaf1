"""Property: for any cart, lines + shipping (+ added tax) = total = Σ vendor parts = Σ commissions + Σ nets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from common.money import allocate, percentage_of
from orders.pricing import LineInput, PricedLine, cart_price
from orders.shipping import MethodTable, RateBand, ShippingOption, method_amount
from orders.tax import DataRateTaxCalculator, rate_table

COUNTRIES = sorted({country for country, _region in rate_table()})
US_STATES = sorted(region for country, region in rate_table() if country == "US")
CATEGORIES = ["standard", "reduced", "books", "food", "exempt"]

lines_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=4),  # vendor
        st.integers(min_value=0, max_value=2_000_000),  # unit price
        st.integers(min_value=1, max_value=50),  # quantity
        st.integers(min_value=0, max_value=30_000),  # grams
        st.sampled_from(CATEGORIES),
    ),
    min_size=1, max_size=12,
)
rates_strategy = st.dictionaries(
    st.integers(min_value=1, max_value=4),
    st.tuples(st.sampled_from(["flat", "weight"]), st.integers(0, 5000), st.integers(0, 2000),
              st.one_of(st.none(), st.integers(0, 100_000))),
)


def _commission_with_order_fee(bp: int, fee: int):
    """Percentage per line plus a per-order fee split over the vendor's lines (as payouts does)."""

    def commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
        base = [percentage_of(line.line_amount, bp) for line in lines]
        weights = [line.line_amount for line in lines]
        shares = allocate(fee, weights) if sum(weights) else [0] * len(lines)
        return [(7, b + s) for b, s in zip(base, shares, strict=True)]

    return commission


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, rates=rates_strategy, country=st.sampled_from(COUNTRIES),
       region=st.sampled_from(US_STATES), bp=st.integers(0, 10000), fee=st.integers(0, 500))
def test_every_minor_unit_of_the_charge_is_accounted_for(lines, rates, country, region, bp, fee):
    inputs = [
        LineInput(key=str(i), vendor_id=v, product_id=i, variant_id=i, sku=f"S{i}", name="x", quantity=q,
                  unit_price=p, weight_grams=g, tax_category=c)
        for i, (v, p, q, g, c) in enumerate(lines)
    ]

    def options_for(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
        if vendor_id not in rates:
            return [ShippingOption(None, "Standard", 490 if subtotal < 5000 else 0)]
        kind, base, per_kg, free = rates[vendor_id]
        # Flat, or a base plus a price per started kilogram as weight bands.
        bands = (RateBand(0, 1, base), *(RateBand((kg - 1) * 1000 + 1, kg * 1000 + 1, base + per_kg * kg)
                                         for kg in range(1, weight // 1000 + 2)))
        method = MethodTable(vendor_id, "Rate", "standard", kind, flat_amount=base, bands=bands, free_over_amount=free)
        amount = method_amount(method=method, subtotal=subtotal, weight_grams=weight)
        assert amount is not None
        return [ShippingOption(vendor_id, "Rate", amount)]

    priced = cart_price(currency="EUR", lines=inputs, country=country, region=region, shipping_choice={},
                        options_for=options_for, commission_for=_commission_with_order_fee(bp, fee),
                        tax=DataRateTaxCalculator())

    line_total = sum(line.line_amount for group in priced.groups for line in group.lines)
    tax_total = sum(line.tax_amount for group in priced.groups for line in group.lines)
    shipping_total = sum(group.shipping.amount for group in priced.groups)
    added_tax = 0 if priced.inclusive else tax_total
    assert priced.total == line_total + shipping_total + added_tax
    assert priced.total == sum(group.total for group in priced.groups)
    assert priced.total == sum(group.commission + group.net for group in priced.groups)
    assert priced.commission == sum(line.commission_amount for g in priced.groups for line in g.lines)
    assert all(group.net >= 0 for group in priced.groups)
    assert all(0 <= line.tax_amount <= line.line_amount for g in priced.groups for line in g.lines)
    assert {g.vendor_id for g in priced.groups} == {line.vendor_id for line in inputs}
