"""Pricing a cart: lines, discounts, tax, shipping per vendor and the commission split, in minor units.

Pure functions over plain inputs (no database), so the money invariant is property-tested:
Σ lines − Σ discounts + Σ shipping (+ Σ tax when tax is added) = total = Σ vendor totals
= Σ commissions + Σ tax the platform owes as deemed supplier + Σ nets − Σ platform-funded discounts
(the platform pays the vendor the discounts it funds; docs/adr/0094).
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


@dataclass(frozen=True)
class LineDiscount:
    """One promotion's part of one line (docs/adr/0094): who funds it decides the commission and
    what the vendor is transferred."""

    promotion_id: int
    label: str
    amount: int
    funded_by: str  # "platform" or "vendor"


@dataclass
class PricedLine:
    source: LineInput
    line_amount: int
    tax_rate_bp: int = 0
    tax_amount: int = 0
    tax_collector: str = "vendor"
    commission_rule_id: int | None = None
    commission_amount: int = 0
    discounts: list[LineDiscount] = field(default_factory=list)

    @property
    def discount_amount(self) -> int:
        return sum(discount.amount for discount in self.discounts)

    @property
    def platform_discount_amount(self) -> int:
        return sum(discount.amount for discount in self.discounts if discount.funded_by == "platform")

    @property
    def paid_amount(self) -> int:
        """What the buyer pays for the line (before exclusive tax): never below zero."""
        return self.line_amount - self.discount_amount


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
    def discount(self) -> int:
        return sum(line.discount_amount for line in self.lines)

    @property
    def platform_discount(self) -> int:
        return sum(line.platform_discount_amount for line in self.lines)

    @property
    def platform_tax(self) -> int:
        """Tax the platform owes as deemed supplier: collected from the buyer, never the vendor's."""
        return sum(line.tax_amount for line in self.lines if line.tax_collector == "platform")

    @property
    def net(self) -> int:
        # A platform-funded discount is paid to the vendor by the platform (docs/adr/0094).
        return self.total + self.platform_discount - self.commission - self.platform_tax


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
    def discount(self) -> int:
        return sum(group.discount for group in self.groups)

    @property
    def shipping_complete(self) -> bool:
        return all(group.shipping is not None for group in self.groups)


# (vendor_id, the vendor's lines, currency) -> [(rule id or None, commission amount)] per line
CommissionFn = Callable[[int, list[PricedLine], str], list[tuple[int | None, int]]]
# (vendor_id, subtotal, weight_grams) -> options
OptionsFn = Callable[[int, int, int], list[ShippingOption]]
# (lines, currency) -> {line key: [discounts in the order they apply]} (orders.discounts)
DiscountFn = Callable[[list[LineInput], str], dict[str, list[LineDiscount]]]


def discounts_capped(line_amount: int, discounts: list[LineDiscount]) -> list[LineDiscount]:
    """Discounts in order, each cut to what the line still costs: two discounts never take a
    line below zero, and a discount cut to nothing is dropped."""
    left, kept = line_amount, []
    for discount in discounts:
        amount = min(max(discount.amount, 0), left)
        if amount:
            kept.append(LineDiscount(discount.promotion_id, discount.label, amount, discount.funded_by))
            left -= amount
    return kept


def commission_discounted(commission: int, line: PricedLine) -> int:
    """The commission on what the vendor sells the line for: a vendor-funded discount lowers it in
    proportion (rounded half up), a platform-funded one does not (docs/adr/0094)."""
    vendor_discount = line.discount_amount - line.platform_discount_amount
    if not vendor_discount or not line.line_amount:
        return commission
    base = line.line_amount - vendor_discount
    return (2 * commission * base + line.line_amount) // (2 * line.line_amount)


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
    discounts_for: DiscountFn | None = None,
) -> PricedCart:
    """Price lines grouped by vendor (in first-seen order); unchosen shipping takes the cheapest.
    Discounts come off the lines before tax: tax is on what the buyer pays."""
    priced = [PricedLine(line, line.quantity * line.unit_price) for line in lines]
    found = discounts_for(lines, currency) if discounts_for is not None else {}
    for line in priced:
        line.discounts = discounts_capped(line.line_amount, found.get(line.source.key, []))
    quote = tax.quote(
        country=country, region=region, currency=currency,
        lines=[TaxLine(p.source.key, p.paid_amount, p.source.tax_category, p.source.seller_country)
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
        # A free-shipping threshold counts what the buyer pays for the items.
        options = options_for(vendor_id, subtotal - sum(line.discount_amount for line in group_lines), weight)
        wanted = shipping_choice.get(vendor_id)
        chosen = next((o for o in options if o.rate_id == wanted), None) if wanted else None
        if chosen is None and options:
            chosen = options[0]
        group = PricedGroup(vendor_id, group_lines, subtotal, tax_total, weight, options, chosen)
        for line, (rule_id, amount) in zip(
            group_lines, commission_for(vendor_id, group_lines, currency), strict=True
        ):
            # Never more than what the vendor is paid for the line less the tax the platform owes
            # on it: the vendor's net stays non-negative.
            inclusive_platform_tax = line.tax_amount if line.tax_collector == "platform" and quote.inclusive else 0
            cap = line.paid_amount + line.platform_discount_amount - inclusive_platform_tax
            line.commission_rule_id = rule_id
            line.commission_amount = max(min(commission_discounted(amount, line), cap), 0)
        group.commission = sum(line.commission_amount for line in group_lines)
        group.total = (subtotal - group.discount + (chosen.amount if chosen else 0)
                       + (0 if quote.inclusive else tax_total))
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
