"""Properties of a cart of vendors in several currencies charged in one: the converted prices,
tax, shipping and commission sum exactly to the charge; each vendor's settled net is its net
converted once; refunds taken back in parts (converting the running sum) add up to exactly the
settled net. (The ledger's balance per currency through such an order: tests/disputes/
test_multicurrency_money.py.)"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from common.money import SUPPORTED_CURRENCIES, allocate, convert, cross_rate, percentage_of
from orders.pricing import LineInput, PricedLine, cart_price
from orders.shipping import ShippingOption
from orders.tax import DataRateTaxCalculator, rate_table

COUNTRIES = sorted({country for country, _region in rate_table() if country != "US"})
CURRENCIES = list(SUPPORTED_CURRENCIES)
# Units of each currency per EUR, within the range of the ECB's quotes (JPY ~160, SEK ~11, GBP ~0.8).
eur_rates = st.fixed_dictionaries({
    code: st.just(Decimal(1)) if code == "EUR"
    else st.decimals(min_value=Decimal("0.5"), max_value=Decimal("200"), places=4)
    for code in CURRENCIES
})
vendors = st.dictionaries(st.integers(1, 4), st.sampled_from(CURRENCIES), min_size=1, max_size=4)
lines_strategy = st.lists(
    st.tuples(st.integers(1, 4), st.integers(0, 500_000), st.integers(1, 20)), min_size=1, max_size=10,
)


def _commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
    return [(None, percentage_of(line.line_amount, 1250)) for line in lines]


@settings(max_examples=300, deadline=None)
@given(vendor_currency=vendors, lines=lines_strategy, rates=eur_rates, presentment=st.sampled_from(CURRENCIES),
       country=st.sampled_from(COUNTRIES), refund_cuts=st.lists(st.integers(1, 100), max_size=6))
def test_converted_splits_and_refunds_sum_exactly_per_currency(vendor_currency, lines, rates, presentment, country,
                                                               refund_cuts):
    # The snapshot: `presentment` per one vendor currency, and its inverse, each rounded once.
    snapshot = {
        code: (cross_rate(base_per_from=rates[code], base_per_to=rates[presentment]),
               cross_rate(base_per_from=rates[presentment], base_per_to=rates[code]))
        for code in set(vendor_currency.values()) - {presentment}
    }

    def presented(amount: int, code: str) -> int:
        return amount if code == presentment else convert(amount, source=code, target=presentment,
                                                          rate=snapshot[code][0])

    inputs = [
        LineInput(key=str(i), vendor_id=v, product_id=i, variant_id=i, sku=f"S{i}", name="x", quantity=q,
                  unit_price=presented(price, vendor_currency[v]))
        for i, (v, price, q) in enumerate(lines) if v in vendor_currency
    ]
    if not inputs:
        return

    def options_for(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
        return [ShippingOption(None, "Standard", presented(490, vendor_currency[vendor_id]))]

    priced = cart_price(currency=presentment, lines=inputs, country=country, region="", shipping_choice={},
                        options_for=options_for, commission_for=_commission, tax=DataRateTaxCalculator())

    # One charge in the presentment currency: every minor unit is a line, shipping or added tax,
    # and belongs to exactly one vendor part (commission + platform tax + net).
    added_tax = 0 if priced.inclusive else priced.tax
    assert priced.total == priced.subtotal + priced.shipping + added_tax
    assert priced.total == sum(g.commission + g.platform_tax + g.net for g in priced.groups)
    assert priced.tax == sum(line.tax_amount for g in priced.groups for line in g.lines)

    for group in priced.groups:
        code = vendor_currency[group.vendor_id]
        assert group.net >= 0
        if code == presentment:
            continue
        inverse = snapshot[code][1]
        settled = convert(group.net, source=presentment, target=code, rate=inverse)
        # Rounded once: within half a minor unit of the exact conversion.
        assert abs(Decimal(settled) - Decimal(group.net) * inverse
                   * Decimal(10) ** (_exp(code) - _exp(presentment))) <= Decimal("0.5")
        # Refunds in parts, each converting the running sum (as transfer reversals do).
        parts = allocate(group.net, refund_cuts) if refund_cuts else [group.net]
        taken, running = [], 0
        for part in parts:
            before = convert(running, source=presentment, target=code, rate=inverse)
            running += part
            taken.append(convert(running, source=presentment, target=code, rate=inverse) - before)
        assert all(t >= 0 for t in taken)
        assert sum(taken) == settled


def _exp(code: str) -> int:
    from common.money import exponent

    return exponent(code)
