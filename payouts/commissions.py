"""Commission resolution: the most specific valid rule for a line, and its amount."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from common.money import MoneyError, allocate, percentage_of, validate_currency
from orders.pricing import CommissionFn, PricedLine, fallback_commission
from payouts.errors import CommissionInputInvalid, CommissionRuleMissing
from payouts.models import CommissionRule

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommissionQuote:
    """What checkout snapshots on an order line."""

    rule_id: int
    scope: str
    amount: int  # per-line commission (percentage + per-line fixed, clamped by min/max)
    currency: str
    base_amount: int  # the commissionable amount the percentage applied to
    rate_bp: int
    order_fixed_amount: int  # the rule's fixed amount per order (0 if fixed per line)


@dataclass(frozen=True, slots=True)
class OrderLineInput:
    category_id: int | None
    category_ancestor_ids: Sequence[int]
    unit_amount: int
    quantity: int
    shipping_amount: int = 0


def _candidates(
    vendor_id: int | None, category_chain: Sequence[int]
) -> list[tuple[str, int | None, int | None]]:
    """Scopes from most to least specific; within a scope the nearest category first."""
    order: list[tuple[str, int | None, int | None]] = []
    if vendor_id is not None:
        order += [(CommissionRule.Scope.VENDOR_CATEGORY, vendor_id, cat) for cat in category_chain]
        order.append((CommissionRule.Scope.VENDOR, vendor_id, None))
    order += [(CommissionRule.Scope.CATEGORY, None, cat) for cat in category_chain]
    order.append((CommissionRule.Scope.PLATFORM, None, None))
    return order


RuleKey = tuple[str, int | None, int | None]


def _rules_valid(
    *, vendor_ids: Sequence[int | None], chain: Sequence[int], currency: str, at: dt.datetime,
) -> dict[RuleKey, CommissionRule]:
    """Every rule valid at `at` that could apply to these vendors and these categories, by target."""
    wanted = [pk for pk in vendor_ids if pk]
    target = Q(vendor_id__isnull=True) | Q(vendor_id__in=wanted) if wanted else Q(
        vendor_id__isnull=True
    )
    rules = CommissionRule.objects.filter(
        target,
        Q(category_id__isnull=True) | Q(category_id__in=list(chain)),
        Q(valid_to__isnull=True) | Q(valid_to__gt=at),
        currency=currency,
        valid_from__lte=at,
    )
    # The exclusion constraint guarantees at most one rule per (scope, vendor, category) at `at`.
    return {(rule.scope, rule.vendor_id, rule.category_id): rule for rule in rules}


def _currency(currency: str) -> str:
    try:
        return validate_currency(currency)
    except MoneyError as exc:
        raise CommissionInputInvalid(str(exc), fields={"currency": [str(exc)]}) from exc


def rule_for(
    *, vendor_id: int | None, category_id: int | None, category_ancestor_ids: Sequence[int] = (),
    currency: str, at: dt.datetime | None = None,
    rules: dict[RuleKey, CommissionRule] | None = None,
) -> CommissionRule:
    """The most specific rule valid at `at`: vendor+category (nearest ancestor first) > vendor >
    category (nearest first) > platform default. One query, none when `rules` (from
    `_rules_valid` over at least this line's chain, same vendor, currency and `at`) is given."""
    at = at or timezone.now()
    currency = _currency(currency)
    chain = [cat for cat in [category_id, *category_ancestor_ids] if cat is not None]
    by_target = rules if rules is not None else _rules_valid(
        vendor_ids=[vendor_id], chain=chain, currency=currency, at=at
    )
    for candidate in _candidates(vendor_id, chain):
        if candidate in by_target:
            return by_target[candidate]
    raise CommissionRuleMissing(
        f"No commission rule applies to this line in {currency}; add a platform default.",
    )


def line_commission(
    rule: CommissionRule, *, unit_amount: int, quantity: int, shipping_amount: int = 0
) -> tuple[int, int]:
    """(commission, base) for one line under `rule`; never more than the line's amount."""
    base = unit_amount * quantity + (shipping_amount if rule.shipping_commissionable else 0)
    amount = percentage_of(base, rule.rate_bp)
    if rule.fixed_per == CommissionRule.FixedPer.LINE:
        amount += rule.fixed_amount
    if rule.min_per_line is not None:
        amount = max(amount, rule.min_per_line)
    if rule.max_per_line is not None:
        amount = min(amount, rule.max_per_line)
    line_total = unit_amount * quantity + shipping_amount
    return min(amount, line_total), base


def _validate_line(unit_amount: int, quantity: int, shipping_amount: int) -> None:
    for name, value in (("unit_amount", unit_amount), ("quantity", quantity),
                        ("shipping_amount", shipping_amount)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise CommissionInputInvalid(
                f"{name} must be a non-negative integer.", fields={name: ["Invalid."]}
            )
    if quantity == 0:
        raise CommissionInputInvalid(
            "quantity must be at least 1.", fields={"quantity": ["At least 1."]}
        )


def commission_for_line(
    *, vendor_id: int | None, category_id: int | None, category_ancestor_ids: Sequence[int],
    unit_amount: int, quantity: int, currency: str, shipping_amount: int = 0,
    at: dt.datetime | None = None, rules: dict[RuleKey, CommissionRule] | None = None,
) -> CommissionQuote:
    """The commission on one order line, with the rule that produced it (to snapshot)."""
    _validate_line(unit_amount, quantity, shipping_amount)
    rule = rule_for(
        vendor_id=vendor_id, category_id=category_id,
        category_ancestor_ids=category_ancestor_ids, currency=currency, at=at, rules=rules,
    )
    amount, base = line_commission(
        rule, unit_amount=unit_amount, quantity=quantity, shipping_amount=shipping_amount
    )
    return CommissionQuote(
        rule_id=rule.pk, scope=rule.scope, amount=amount, currency=rule.currency,
        base_amount=base, rate_bp=rule.rate_bp,
        order_fixed_amount=rule.fixed_amount if rule.fixed_per == CommissionRule.FixedPer.ORDER else 0,
    )


def rules_for_cart(
    *, vendor_ids: Sequence[int], category_ids: Sequence[int], currency: str, at: dt.datetime
) -> dict[RuleKey, CommissionRule]:
    """The candidate rules of a whole cart (its vendors, its categories with their ancestors) in
    one query, to pass as `rules` to `commission_for_vendor_order` for each vendor."""
    return _rules_valid(vendor_ids=sorted(set(vendor_ids)), chain=sorted(set(category_ids)),
                        currency=_currency(currency), at=at)


def commission_for_vendor_order(
    *, vendor_id: int, currency: str, lines: Sequence[OrderLineInput], at: dt.datetime | None = None,
    rules: dict[RuleKey, CommissionRule] | None = None,
) -> list[CommissionQuote]:
    """Per-line quotes for one vendor's sub-order, with each per-order fixed fee charged once.

    A rule's fixed amount per order is split over the lines that rule applies to, in proportion
    to their amounts (`allocate`: the parts sum exactly to the fee). The candidate rules of all
    lines are read in one query.
    """
    at = at or timezone.now()
    if not lines:
        return []
    for line in lines:
        _validate_line(line.unit_amount, line.quantity, line.shipping_amount)
    chains = {cat for line in lines for cat in [line.category_id, *line.category_ancestor_ids]
              if cat is not None}
    if rules is None:  # else from `rules_for_cart` (this vendor, these chains, currency and `at`)
        rules = _rules_valid(vendor_ids=[vendor_id], chain=sorted(chains), currency=_currency(currency), at=at)
    quotes = [
        commission_for_line(
            vendor_id=vendor_id, category_id=line.category_id,
            category_ancestor_ids=line.category_ancestor_ids, unit_amount=line.unit_amount,
            quantity=line.quantity, currency=currency, shipping_amount=line.shipping_amount, at=at,
            rules=rules,
        )
        for line in lines
    ]
    amounts = [quote.amount for quote in quotes]
    for rule_id in {quote.rule_id for quote in quotes if quote.order_fixed_amount}:
        indexes = [i for i, quote in enumerate(quotes) if quote.rule_id == rule_id]
        fee = quotes[indexes[0]].order_fixed_amount
        weights = [lines[i].unit_amount * lines[i].quantity for i in indexes]
        for i, share in zip(indexes, allocate(fee, weights), strict=True):
            amounts[i] += share
    return [
        CommissionQuote(
            rule_id=quote.rule_id, scope=quote.scope, amount=amount, currency=quote.currency,
            base_amount=quote.base_amount, rate_bp=quote.rate_bp,
            order_fixed_amount=quote.order_fixed_amount,
        )
        for quote, amount in zip(quotes, amounts, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# at checkout: registered as orders' commission source (PayoutsConfig.ready; docs/adr/0041)
# ---------------------------------------------------------------------------------------------
def _category_chains(category_ids: set[int]) -> dict[int, list[int]]:
    """Each category's ancestors, nearest first (the platform taxonomy is shallow)."""
    from marketplace.models import Category

    parents: dict[int, int | None] = {}
    wanted = {pk for pk in category_ids if pk}
    while wanted:
        rows = dict(Category.objects.filter(pk__in=wanted).values_list("pk", "parent_id"))
        parents.update(rows)
        wanted = {parent for parent in rows.values() if parent and parent not in parents}
    chains: dict[int, list[int]] = {}
    for pk in category_ids:
        chain, current = [], parents.get(pk)
        while current and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[pk] = chain
    return chains


def cart_commission(category_ids: set[int] | None = None, vendor_ids: set[int] | None = None) -> CommissionFn:
    """The commission rules per vendor sub-order of one cart (the flat fallback rate where a vendor
    has no rule).

    With the cart's `category_ids` and `vendor_ids`, the category chains and the candidate rules
    are read once per cart (one query each) rather than once per vendor.
    """
    known: dict[int, list[int]] = {}
    cart_categories = {pk for pk in category_ids or () if pk}
    at = timezone.now()
    cart_rules: dict[str, dict[RuleKey, CommissionRule]] = {}

    def chains_for(wanted: set[int]) -> dict[int, list[int]]:
        # The first call reads the whole cart's chains; later ones only what is still unknown.
        missing = (wanted | cart_categories) - known.keys()
        if missing:
            known.update(_category_chains(missing))
        return known

    def rules_for(vendor_id: int, currency: str) -> dict[RuleKey, CommissionRule] | None:
        if not vendor_ids or vendor_id not in vendor_ids:
            return None
        if currency not in cart_rules:
            chains = chains_for(cart_categories)
            categories = set(chains) | {pk for chain in chains.values() for pk in chain}
            cart_rules[currency] = rules_for_cart(vendor_ids=sorted(vendor_ids), category_ids=sorted(categories),
                                                  currency=currency, at=at)
        return cart_rules[currency]

    def commission(vendor_id: int, lines: list[PricedLine], currency: str) -> list[tuple[int | None, int]]:
        chains = chains_for({line.source.category_id for line in lines if line.source.category_id})
        inputs = [
            OrderLineInput(
                category_id=line.source.category_id,
                category_ancestor_ids=chains.get(line.source.category_id or 0, []),
                unit_amount=line.source.unit_price, quantity=line.source.quantity,
            )
            for line in lines
        ]
        try:
            quotes = commission_for_vendor_order(vendor_id=vendor_id, currency=currency, lines=inputs, at=at,
                                                 rules=rules_for(vendor_id, currency))
        except CommissionRuleMissing:
            logger.warning("no commission rule for vendor %s in %s: flat fallback rate", vendor_id, currency)
            return fallback_commission(vendor_id, lines, currency)
        return [(quote.rule_id, quote.amount) for quote in quotes]

    return commission
