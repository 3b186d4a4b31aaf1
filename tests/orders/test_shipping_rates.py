"""Shipping rates from a vendor's table: the zone of a destination, flat, weight and value bands,
the free threshold, delivery dates; and, property-tested, that the choice is deterministic and the
priced cart sums."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from orders.pricing import LineInput, cart_price, fallback_commission
from orders.shipping import (
    MethodTable,
    RateBand,
    ShippingOption,
    VendorShipping,
    ZoneTable,
    method_amount,
    shipping_options,
    zone_for,
)
from orders.tax import TaxLine, TaxQuote, TaxResult

MONDAY = date(2026, 12, 7)
STANDARD = MethodTable(1, "Standard", "standard", "flat", flat_amount=490, free_over_amount=5000,
                       handling_days=1, transit_days_min=1, transit_days_max=3)
EXPRESS = MethodTable(2, "Express", "express", "weight", bands=(
    RateBand(0, 1000, 990), RateBand(1000, 5000, 1490), RateBand(5000, None, 2490)),
    handling_days=0, transit_days_min=1, transit_days_max=1)
BY_VALUE = MethodTable(3, "Value", "standard", "value", bands=(RateBand(0, 2000, 700), RateBand(2000, 10000, 300)))
TABLE = VendorShipping("EUR", (
    ZoneTable(10, "Home", frozenset({"DE"}), methods=(STANDARD, EXPRESS)),
    ZoneTable(11, "California", frozenset({"US"}), frozenset({"US-CA"}), methods=(BY_VALUE,)),
    ZoneTable(12, "Austria", frozenset({"AT"}), methods=(EXPRESS,)),
    ZoneTable(13, "World", rest_of_world=True, methods=(
        MethodTable(4, "World", "standard", "flat", flat_amount=1990, transit_days_min=5, transit_days_max=12),)),
))


def test_zone_by_region_then_country_then_rest_of_the_world():
    assert zone_for(shipping=TABLE, country="de").name == "Home"
    assert zone_for(shipping=TABLE, country="US", region="ca").name == "California"
    assert zone_for(shipping=TABLE, country="US", region="US-CA").name == "California"
    # The California zone lists a region of the US: other states are not in it.
    assert zone_for(shipping=TABLE, country="US", region="NY").name == "World"
    without_world = VendorShipping("EUR", TABLE.zones[:3])
    assert zone_for(shipping=without_world, country="US", region="NY") is None
    assert zone_for(shipping=without_world, country="FR") is None


def test_weight_bands_are_from_inclusive_to_exclusive():
    assert [method_amount(method=EXPRESS, subtotal=0, weight_grams=w) for w in (0, 999, 1000, 4999, 5000, 10**7)] == [
        990, 990, 1490, 1490, 2490, 2490]


def test_value_bands_and_a_parcel_no_band_covers():
    assert method_amount(method=BY_VALUE, subtotal=1999, weight_grams=0) == 700
    assert method_amount(method=BY_VALUE, subtotal=2000, weight_grams=0) == 300
    assert method_amount(method=BY_VALUE, subtotal=10000, weight_grams=0) is None


def test_free_from_the_threshold():
    assert method_amount(method=STANDARD, subtotal=4999, weight_grams=0) == 490
    assert method_amount(method=STANDARD, subtotal=5000, weight_grams=0) == 0


def test_options_cheapest_first_with_delivery_dates():
    options = shipping_options(shipping=TABLE, currency="EUR", country="DE", subtotal=1000, weight_grams=1200,
                               today=MONDAY)
    assert [(o.name, o.amount, o.kind) for o in options] == [("Standard", 490, "standard"), ("Express", 1490, "express")]
    standard, express = options
    # 1 handling + 1..3 transit business days from Monday 7 December.
    assert (standard.days_min, standard.days_max) == (2, 4)
    assert (standard.earliest, standard.latest) == (date(2026, 12, 9), date(2026, 12, 11))
    assert (express.earliest, express.latest) == (date(2026, 12, 8), date(2026, 12, 8))


def test_no_options_outside_every_zone_without_a_table_or_in_another_currency():
    outside = VendorShipping("EUR", TABLE.zones[:3])
    assert shipping_options(shipping=outside, currency="EUR", country="FR", subtotal=1, weight_grams=1, today=MONDAY) == []
    assert shipping_options(shipping=None, currency="EUR", country="DE", subtotal=1, weight_grams=1, today=MONDAY) == []
    assert shipping_options(shipping=TABLE, currency="SEK", country="DE", subtotal=1, weight_grams=1, today=MONDAY) == []


class _NoTax:
    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote:
        return TaxQuote(inclusive=True, lines=[TaxResult(line.key, 0, 0) for line in lines])


amounts = st.integers(min_value=0, max_value=100_000)


@st.composite
def tables(draw: st.DrawFn) -> VendorShipping:
    methods = []
    for method_id in range(1, draw(st.integers(1, 4)) + 1):
        rate_kind = draw(st.sampled_from(["flat", "weight", "value"]))
        cuts = sorted(draw(st.sets(st.integers(1, 20_000), max_size=4)))
        bounds = [0, *cuts]
        bands = tuple(RateBand(low, high, draw(amounts)) for low, high in zip(bounds, [*cuts, None], strict=True))
        methods.append(MethodTable(method_id, f"M{method_id}", "standard", rate_kind, flat_amount=draw(amounts),
                                   bands=bands if rate_kind != "flat" else (),
                                   free_over_amount=draw(st.none() | amounts), position=draw(st.integers(0, 3))))
    return VendorShipping("EUR", (ZoneTable(1, "Z", frozenset({"DE"}), methods=tuple(methods)),))


@given(table=tables(), quantities=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       weight=st.integers(0, 5000), seed=st.integers(0, 1000))
def test_the_choice_is_deterministic_and_the_cart_sums(table, quantities, weight, seed):
    """The same cart and table give the same options in the same order whatever order the methods
    were read in; the cheapest is chosen; lines + shipping = total = Σ commission + Σ net."""
    shuffled_methods = list(table.zones[0].methods)
    random.Random(seed).shuffle(shuffled_methods)
    shuffled = VendorShipping("EUR", (ZoneTable(1, "Z", frozenset({"DE"}), methods=tuple(shuffled_methods)),))
    lines = [LineInput(str(i), 7, i, i, f"S{i}", f"P{i}", q, 1250, weight_grams=weight) for i, q in enumerate(quantities)]

    def priced(shipping: VendorShipping):
        def options_for(vendor_id: int, subtotal: int, grams: int) -> list[ShippingOption]:
            return shipping_options(shipping=shipping, currency="EUR", country="DE", subtotal=subtotal,
                                    weight_grams=grams, today=MONDAY)
        return cart_price(currency="EUR", lines=lines, country="DE", region="", shipping_choice={},
                          options_for=options_for, commission_for=fallback_commission, tax=_NoTax())

    first, second = priced(table), priced(shuffled)
    group = first.groups[0]
    assert group.options == second.groups[0].options
    if group.options:
        assert group.shipping == group.options[0] == min(group.options, key=lambda o: o.amount)
        assert group.shipping.amount == method_amount(
            method=next(m for m in table.zones[0].methods if m.method_id == group.shipping.rate_id),
            subtotal=group.subtotal, weight_grams=group.weight_grams)
    assert first.total == first.subtotal + first.shipping
    assert first.total == sum(g.commission + g.net for g in first.groups)
