"""Deterministic pricing cases beside the property test: shipping choice, weights, tax added or
included, commission rows per line (each kills a surviving mutant of orders/pricing.py;
docs/mutation.md)."""

from __future__ import annotations

import dataclasses

import pytest

from orders.pricing import LineInput, PricedLine, cart_price, fallback_commission
from orders.shipping import ShippingOption
from orders.tax import DataRateTaxCalculator

OPTIONS = [ShippingOption(1, "Cheap", 300), ShippingOption(2, "Fast", 900), ShippingOption(3, "Air", 2500)]


def _line(key: str, vendor: int, price: int, quantity: int = 1, **extra: object) -> LineInput:
    return LineInput(key=key, vendor_id=vendor, product_id=1, variant_id=int(key), sku=f"S{key}",
                     name="x", quantity=quantity, unit_price=price, **extra)  # type: ignore[arg-type]


def _price(lines, *, country="US", region="CA", choice=None, options=None, commission=None):
    seen: dict[int, tuple[int, int]] = {}

    def options_for(vendor_id: int, subtotal: int, weight: int) -> list[ShippingOption]:
        seen[vendor_id] = (subtotal, weight)
        return list(OPTIONS if options is None else options)

    cart = cart_price(currency="USD", lines=lines, country=country, region=region,
                      shipping_choice=choice or {}, options_for=options_for,
                      commission_for=commission or fallback_commission, tax=DataRateTaxCalculator())
    return cart, seen


def test_weight_per_group_is_grams_times_quantity_and_absent_weights_count_zero():
    _cart, seen = _price([_line("1", 7, 1000, 3, weight_grams=250), _line("2", 7, 500),
                          _line("3", 8, 100, 2)])
    assert seen == {7: (3500, 750), 8: (200, 0)}


@pytest.mark.parametrize(("choice", "expected"), [
    ({}, 300), ({7: None}, 300), ({7: 2}, 900), ({7: 3}, 2500), ({7: 99}, 300),
])
def test_the_chosen_rate_else_the_first_option(choice, expected):
    cart, _ = _price([_line("1", 7, 10_000)], choice=choice)
    group = cart.groups[0]
    assert group.shipping is not None and group.shipping.amount == expected
    assert cart.shipping == expected and cart.shipping_complete
    # US/CA adds 7.25% sales tax on top: 10,000 + 725 + shipping.
    assert (group.tax, group.total, cart.total) == (725, 10_725 + expected, 10_725 + expected)


def test_a_vendor_without_options_has_no_shipping_and_the_cart_is_incomplete():
    cart, _ = _price([_line("1", 7, 10_000)], options=[])
    assert cart.groups[0].shipping is None and not cart.shipping_complete
    assert (cart.shipping, cart.total) == (0, 10_725)


def test_shipping_complete_needs_every_group():
    cart, _ = _price([_line("1", 7, 100), _line("2", 8, 100)], choice={8: 3})
    assert cart.shipping_complete
    assert [g.shipping.amount for g in cart.groups if g.shipping] == [300, 2500]
    assert cart.shipping == 2800


def test_included_tax_is_not_added_and_added_tax_is():
    included, _ = _price([_line("1", 7, 11_900)], country="DE", region="")
    assert included.inclusive and included.tax == 1900 and included.total == 11_900 + 300
    added, _ = _price([_line("1", 7, 10_000)], country="US", region="NY")
    assert not added.inclusive and added.tax == 400 and added.total == 10_000 + 400 + 300


def test_commission_is_per_line_capped_at_the_line_and_the_net_is_the_rest():
    def commission(vendor_id, lines, currency):
        return [(11, 150), (12, 99_999)]

    cart, _ = _price([_line("1", 7, 1000), _line("2", 7, 200)], commission=commission)
    lines = cart.groups[0].lines
    assert [(line.commission_rule_id, line.commission_amount) for line in lines] == [(11, 150), (12, 200)]
    group = cart.groups[0]
    assert group.commission == cart.commission == 350
    # Sales tax per line: 72.5 and 14.5 round half up to 73 and 15.
    assert group.net == group.total - 350 == 1200 + 73 + 15 + 300 - 350


def test_a_commission_function_that_skips_a_line_is_an_error():
    def short(vendor_id, lines, currency):
        return [(None, 1)]

    with pytest.raises(ValueError, match=r"shorter|longer"):
        _price([_line("1", 7, 1000), _line("2", 7, 200)], commission=short)


def test_line_inputs_cannot_be_changed():
    line = _line("1", 7, 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.unit_price = 1  # type: ignore[misc]


def test_fallback_commission_is_ten_percent_of_each_line():
    lines = [PricedLine(_line("1", 7, 1000), 1000), PricedLine(_line("2", 7, 5), 5)]
    assert fallback_commission(7, lines, "USD") == [(None, 100), (None, 1)]


def _flat_commission(amount_of):
    def commission(vendor_id, lines, currency):
        return [(None, amount_of(line)) for line in lines]

    return commission


def _price_de(lines, *, commission, vat_id=""):
    cart = cart_price(currency="EUR", lines=lines, country="DE", region="", shipping_choice={},
                      options_for=lambda *_: list(OPTIONS), commission_for=commission,
                      tax=DataRateTaxCalculator(), buyer_vat_id=vat_id)
    return cart


def test_deemed_supplier_tax_is_the_platforms_and_comes_off_the_vendors_net():
    # Two 119.00 lines with 19.00 German VAT in each; the first seller is established in the US.
    lines = [_line("1", 7, 11_900, seller_country="US"), _line("2", 7, 11_900, seller_country="DE")]
    cart = _price_de(lines, commission=_flat_commission(lambda line: 1000))
    group = cart.groups[0]
    assert [(p.tax_amount, p.tax_collector) for p in group.lines] == [(1900, "platform"), (1900, "vendor")]
    assert (group.tax, group.platform_tax, group.commission) == (3800, 1900, 2000)
    # Prices include the VAT: 238.00 + 3.00 shipping; the vendor gets that less commission and
    # less the tax the platform pays over.
    assert group.total == 24_100 and group.net == 24_100 - 2000 - 1900


def test_a_commission_never_takes_the_tax_the_platform_owes():
    lines = [_line("1", 7, 11_900, seller_country="US"), _line("2", 7, 11_900, seller_country="DE")]
    cart = _price_de(lines, commission=_flat_commission(lambda line: line.line_amount))
    # The deemed-supplier line keeps its 19.00 for the tax office; the other line may give all.
    assert [p.commission_amount for p in cart.groups[0].lines] == [10_000, 11_900]
    assert cart.groups[0].net == 300  # only the shipping is left for the vendor


def test_a_business_buyer_with_a_vat_id_is_reverse_charged_across_a_border():
    lines = [_line("1", 7, 10_000, seller_country="FR"), _line("2", 8, 11_900, seller_country="DE")]
    cart = _price_de(lines, commission=_flat_commission(lambda line: 0), vat_id="DE136695976")
    assert [(p.tax_rate_bp, p.tax_amount, p.tax_collector) for g in cart.groups for p in g.lines] == [
        (0, 0, "buyer"), (1900, 1900, "vendor")]
    assert cart.tax == 1900 and [g.platform_tax for g in cart.groups] == [0, 0]
