"""Properties of discounted carts (docs/adr/0094): every promotion's discount splits exactly over
its lines, no line goes below zero however many stack, and the charge still splits exactly into
commissions, platform tax and vendor nets, the platform paying the discounts it funds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from common.money import allocate, percentage_of
from orders.pricing import LineDiscount, LineInput, PricedLine, cart_price, discounts_capped
from orders.shipping import ShippingOption
from orders.tax import DataRateTaxCalculator
from promotions.engine import FIXED, PERCENT, Offer, cart_discounts, offer_split

lines_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3),  # vendor
        st.integers(min_value=0, max_value=500_000),  # unit price
        st.integers(min_value=1, max_value=20),  # quantity
        st.integers(min_value=1, max_value=3),  # category
    ),
    min_size=1, max_size=10,
)
offers_strategy = st.lists(
    st.tuples(
        st.sampled_from([PERCENT, FIXED]),
        st.integers(min_value=1, max_value=10_000),  # percent bp
        st.integers(min_value=1, max_value=3_000_000),  # fixed amount
        st.sampled_from(["platform", "vendor"]),
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),  # owner vendor
        st.one_of(st.none(), st.integers(min_value=1, max_value=3)),  # category scope
        st.booleans(),  # automatic
        st.integers(min_value=0, max_value=200_000),  # minimum order
    ),
    max_size=5,
)


def _inputs(lines):
    return [LineInput(key=str(i), vendor_id=v, product_id=i, variant_id=i, sku=f"S{i}", name="x", quantity=q,
                      unit_price=p, category_id=c) for i, (v, p, q, c) in enumerate(lines)]


def _offers(raw):
    offers = []
    for pk, (kind, bp, amount, funded_by, owner, category, automatic, minimum) in enumerate(raw, start=1):
        # A vendor funds only its own promotions; the platform's have no owner.
        owner = (owner or 1) if funded_by == "vendor" else None
        offers.append(Offer(
            promotion_id=pk, label=f"P{pk}", kind=kind, funded_by=funded_by,
            percent_bp=bp if kind == PERCENT else 0, amount=amount if kind == FIXED else 0, currency="EUR",
            min_order_amount=minimum, owner_vendor_id=owner,
            category_ids=frozenset({category}) if category else frozenset(), automatic=automatic,
        ))
    return offers


def _commission(bp: int, fee: int):
    def commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
        base = [percentage_of(line.line_amount, bp) for line in lines]
        weights = [line.line_amount for line in lines]
        shares = allocate(fee, weights) if sum(weights) else [0] * len(lines)
        return [(7, b + s) for b, s in zip(base, shares, strict=True)]

    return commission


def _options(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
    return [ShippingOption(None, "Standard", 490 if subtotal < 5000 else 0)]


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, raw_offers=offers_strategy, country=st.sampled_from(["DE", "FR", "US", "GB"]),
       bp=st.integers(0, 10000), fee=st.integers(0, 500))
def test_a_discounted_charge_splits_exactly_into_commissions_tax_and_vendor_nets(lines, raw_offers, country, bp, fee):
    inputs, offers = _inputs(lines), _offers(raw_offers)
    priced = cart_price(currency="EUR", lines=inputs, country=country, region="CA", shipping_choice={},
                        options_for=_options, commission_for=_commission(bp, fee), tax=DataRateTaxCalculator(),
                        discounts_for=lambda found_lines, currency: cart_discounts(offers, found_lines, currency))
    undiscounted = cart_price(currency="EUR", lines=inputs, country=country, region="CA", shipping_choice={},
                              options_for=_options, commission_for=_commission(bp, fee), tax=DataRateTaxCalculator())
    every_line = [line for group in priced.groups for line in group.lines]
    for line in every_line:
        assert 0 <= line.discount_amount <= line.line_amount  # never below zero, however many stack
        assert 0 <= line.platform_discount_amount <= line.discount_amount
        assert sum(1 for d in line.discounts if offers[d.promotion_id - 1].automatic) <= 1
    added_tax = 0 if priced.inclusive else priced.tax
    assert priced.total == priced.subtotal - priced.discount + priced.shipping + added_tax
    assert priced.total == sum(group.total for group in priced.groups)
    # What the buyer pays + what the platform funds = commissions + platform tax + vendor nets (transfers).
    platform_funded = sum(group.platform_discount for group in priced.groups)
    assert priced.total + platform_funded == sum(g.commission + g.platform_tax + g.net for g in priced.groups)
    assert all(group.net >= 0 for group in priced.groups)
    # A vendor-funded discount lowers the commission; a platform-funded one never does.
    by_key = {line.source.key: line for group in undiscounted.groups for line in group.lines}
    for line in every_line:
        before = by_key[line.source.key].commission_amount
        if line.discount_amount == line.platform_discount_amount:
            assert line.commission_amount == min(before, line.line_amount)
        else:
            assert line.commission_amount <= before


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, raw_offers=offers_strategy)
def test_each_promotion_splits_exactly_over_the_lines_it_covers(lines, raw_offers):
    inputs, offers = _inputs(lines), _offers(raw_offers)
    left = {line.key: line.quantity * line.unit_price for line in inputs}
    for offer in offers:
        parts = offer_split(offer, inputs, left)
        base = sum(left[line.key] for line in inputs if offer.covers(line) and left[line.key] > 0)
        expected = percentage_of(base, offer.percent_bp) if offer.kind == PERCENT else min(offer.amount, base)
        assert sum(parts.values()) == expected
        for key, part in parts.items():
            assert 0 < part <= left[key]
            left[key] -= part
    assert all(amount >= 0 for amount in left.values())


@given(amount=st.integers(0, 10_000), discounts=st.lists(st.integers(-50, 20_000), max_size=5))
def test_stacked_discounts_are_cut_to_what_the_line_still_costs(amount, discounts):
    capped = discounts_capped(amount, [LineDiscount(i, "x", d, "platform") for i, d in enumerate(discounts)])
    assert sum(d.amount for d in capped) <= amount
    assert all(d.amount > 0 for d in capped)
    assert sum(d.amount for d in capped) == min(amount, sum(max(d, 0) for d in discounts))


def test_two_discounts_of_the_whole_price_leave_the_line_at_zero_not_below():
    line = LineInput(key="1", vendor_id=1, product_id=1, variant_id=1, sku="S", name="x", quantity=1,
                     unit_price=1000, category_id=1)
    sale = Offer(1, "Sale", FIXED, "vendor", amount=800, currency="EUR", owner_vendor_id=1, automatic=True)
    code = Offer(2, "TAKE5", FIXED, "platform", amount=500, currency="EUR")
    found = cart_discounts([sale, code], [line], "EUR")
    assert [(d.label, d.amount) for d in found["1"]] == [("Sale", 800), ("TAKE5", 200)]
