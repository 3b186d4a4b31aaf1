"""Pricing a cart: lines, tax, shipping per vendor and the commission split, all in minor units.

Pure functions over plain inputs (no database), so the money invariant is property-tested:
Σ lines + Σ shipping (+ Σ tax when tax is added) = total = Σ vendor totals
= Σ commissions + Σ tax the platform owes as deemed supplier + Σ nets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orders.shipping import ShippingOption
from orders.tax import TaxCalculator, TaxLine

# When payouts.commissions is not installed, every line pays this platform rate (basis points).
FALLBACK_COMMISSION_BP = 1000


@dataclass(frozen=True)
class LineInput:
    key: str
    vendor_id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    weight_grams: int = 0
    tax_category: str = "standard"
    category_id: int | None = None
    # Where the vendor is established (decides deemed-supplier and reverse-charge rules).
    seller_country: str = ""


@dataclass
class PricedLine:
    source: LineInput
    line_amount: int
    tax_rate_bp: int = 0
    tax_amount: int = 0
    tax_collector: str = "vendor"
    commission_rule_id: int | None = None
    commission_amount: int = 0


@dataclass
class PricedGroup:
    vendor_id: int
    lines: list[PricedLine]
    subtotal: int
    tax: int
    weight_grams: int
    options: list[ShippingOption]
    shipping: ShippingOption | None
    total: int = 0
    commission: int = 0

    @property
    def platform_tax(self) -> int:
        """Tax the platform owes as deemed supplier: collected from the buyer, never the vendor's."""
        return sum(line.tax_amount for line in self.lines if line.tax_collector == "platform")

    @property
    def net(self) -> int:
        return self.total - self.commission - self.platform_tax


@dataclass
class PricedCart:
    currency: str
    inclusive: bool
    groups: list[PricedGroup] = field(default_factory=list)
    subtotal: int = 0
    shipping: int = 0
    tax: int = 0
    total: int = 0
    commission: int = 0
    # Stripe Tax's calculation id ("" under the data-rate calculator): kept on the order.
    tax_calculation_id: str = ""

    @property
    def shipping_complete(self) -> bool:
        return all(group.shipping is not None for group in self.groups)


# (vendor_id, the vendor's lines, currency) -> [(rule id or None, commission amount)] per line
CommissionFn = Callable[[int, list[PricedLine], str], list[tuple[int | None, int]]]
# (vendor_id, subtotal, weight_grams) -> options
OptionsFn = Callable[[int, int, int], list[ShippingOption]]


def cart_price(
    *,
    currency: str,
    lines: list[LineInput],
    country: str,
    region: str,
    shipping_choice: dict[int, int | None],
    options_for: OptionsFn,
    commission_for: CommissionFn,
    tax: TaxCalculator,
    buyer_vat_id: str = "",
) -> PricedCart:
    """Price lines grouped by vendor (in first-seen order); unchosen shipping takes the cheapest."""
    priced = [PricedLine(line, line.quantity * line.unit_price) for line in lines]
    quote = tax.quote(
        country=country, region=region, currency=currency,
        lines=[TaxLine(p.source.key, p.line_amount, p.source.tax_category, p.source.seller_country)
               for p in priced],
        buyer_vat_id=buyer_vat_id,
    )
    by_key = {result.key: result for result in quote.lines}
    for line in priced:
        result = by_key[line.source.key]
        line.tax_rate_bp, line.tax_amount = result.rate_bp, result.tax_amount
        line.tax_collector = result.collector
    cart = PricedCart(currency=currency, inclusive=quote.inclusive, tax_calculation_id=quote.calculation_id)
    groups: dict[int, list[PricedLine]] = {}
    for line in priced:
        groups.setdefault(line.source.vendor_id, []).append(line)
    for vendor_id, group_lines in groups.items():
        subtotal = sum(line.line_amount for line in group_lines)
        tax_total = sum(line.tax_amount for line in group_lines)
        weight = sum(line.source.weight_grams * line.source.quantity for line in group_lines)
        options = options_for(vendor_id, subtotal, weight)
        wanted = shipping_choice.get(vendor_id)
        chosen = next((o for o in options if o.rate_id == wanted), None) if wanted else None
        if chosen is None and options:
            chosen = options[0]
        group = PricedGroup(vendor_id, group_lines, subtotal, tax_total, weight, options, chosen)
        for line, (rule_id, amount) in zip(
            group_lines, commission_for(vendor_id, group_lines, currency), strict=True
        ):
            # Never more than the line less the tax the platform owes on it: the vendor's net stays
            # non-negative.
            cap = line.line_amount - (line.tax_amount if line.tax_collector == "platform" and quote.inclusive else 0)
            line.commission_rule_id, line.commission_amount = rule_id, min(amount, cap)
        group.commission = sum(line.commission_amount for line in group_lines)
        group.total = subtotal + (chosen.amount if chosen else 0) + (0 if quote.inclusive else tax_total)
        cart.groups.append(group)
    cart.subtotal = sum(group.subtotal for group in cart.groups)
    cart.shipping = sum(group.shipping.amount for group in cart.groups if group.shipping)
    cart.tax = sum(group.tax for group in cart.groups)
    cart.total = sum(group.total for group in cart.groups)
    cart.commission = sum(group.commission for group in cart.groups)
    return cart


def fallback_commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
    from common.money import percentage_of

    return [(None, percentage_of(line.line_amount, FALLBACK_COMMISSION_BP)) for line in lines]
