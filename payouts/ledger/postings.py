"""Domain postings: one balanced entry per money event (the chart and each entry: docs/ledger.md).

Checkout, transfers, payouts and disputes call these with a key derived from the domain object
(e.g. the Stripe event or object id), so a replayed webhook posts nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from payouts.errors import LedgerEntryInvalid
from payouts.ledger.services import account_for, entry_post
from payouts.models import AccountCode as C
from payouts.models import JournalEntry, LedgerAccount

Kind = JournalEntry.Kind


class _Lines:
    """Collects (account, amount) legs for one currency, dropping zero legs."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.items: list[tuple[LedgerAccount, int, str]] = []

    def add(self, code: str, amount: int, vendor_id: int | None = None) -> None:
        if amount:
            self.items.append(
                (account_for(code=code, currency=self.currency, vendor_id=vendor_id), amount,
                 self.currency)
            )


def _positive(name: str, value: int, *, allow_zero: bool = False) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (
        value == 0 and not allow_zero
    ):
        raise LedgerEntryInvalid(f"{name} must be a positive integer amount.", fields={name: [str(value)]})


def _platform_tax(platform_tax: Mapping[int, int] | None, vendor_id: int, gross: int, commission: int,
                  platform_discount: int = 0) -> int:
    tax = (platform_tax or {}).get(vendor_id, 0)
    _positive("platform_tax", tax, allow_zero=True)
    if tax + commission > gross + platform_discount:
        raise LedgerEntryInvalid(f"Vendor {vendor_id}: commission and platform tax exceed the gross amount.")
    return tax


def platform_tax_in_refund(*, platform_tax: int, total: int, amount: int, commission: int = 0) -> int:
    """The deemed-supplier tax in `amount` refunded of a vendor part that charged `total` with
    `platform_tax` in it: the same proportion (rounded half up), at most what the refund leaves
    after `commission`, so the vendor's share never turns negative."""
    if platform_tax <= 0 or total <= 0 or amount <= 0:
        return 0
    part = (2 * amount * platform_tax + total) // (2 * total)
    return max(0, min(part, amount - commission))


def platform_discount_in_refund(*, platform_discount: int, total: int, amount: int) -> int:
    """The platform-funded discount in `amount` refunded of a vendor part that charged `total`:
    the same proportion, rounded down, so refunds in parts never give back more than was funded."""
    if platform_discount <= 0 or total <= 0 or amount <= 0:
        return 0
    return min(platform_discount, platform_discount * amount // total)


def post_payment_captured(
    *, order_id: int | str, amount: int, currency: str,
    vendor_shares: Sequence[tuple[int, int, int]], stripe_fee: int, key: str,
    platform_tax: Mapping[int, int] | None = None,
    platform_discounts: Mapping[int, int] | None = None,
) -> JournalEntry:
    """The buyer's payment reached the platform: vendors are owed gross − commission − the tax
    the platform owes as deemed supplier on their sales (`platform_tax`, {vendor_id: tax}) + the
    discounts the platform funds on their sales (`platform_discounts`, {vendor_id: amount}; an
    expense on `platform_discounts`, docs/adr/0094).

    `vendor_shares` is `[(vendor_id, gross, commission), ...]` (gross: what the buyer paid for the
    vendor's part) and must sum to `amount`.
    """
    _positive("amount", amount)
    _positive("stripe_fee", stripe_fee, allow_zero=True)
    if not vendor_shares:
        raise LedgerEntryInvalid("A payment needs at least one vendor share.")
    discounts = dict(platform_discounts or {})
    for vendor_id, gross, commission in vendor_shares:
        _positive("gross", gross)
        _positive("commission", commission, allow_zero=True)
        _positive("platform_discount", discounts.get(vendor_id, 0), allow_zero=True)
        if commission > gross + discounts.get(vendor_id, 0):
            raise LedgerEntryInvalid(f"Vendor {vendor_id}: commission exceeds the gross amount.")
    if sum(gross for _, gross, _ in vendor_shares) != amount:
        raise LedgerEntryInvalid("The vendor shares do not add up to the captured amount.")
    if set(discounts) - {vendor_id for vendor_id, _, _ in vendor_shares}:
        raise LedgerEntryInvalid("A platform discount names a vendor without a share.")
    lines = _Lines(currency)
    lines.add(C.PLATFORM_CASH, amount)
    owed_tax = 0
    for vendor_id, gross, commission in vendor_shares:
        funded = discounts.get(vendor_id, 0)
        tax = _platform_tax(platform_tax, vendor_id, gross, commission, funded)
        owed_tax += tax
        lines.add(C.PLATFORM_DISCOUNTS, funded)
        lines.add(C.VENDOR_PENDING, -(gross + funded - commission - tax), vendor_id)
    lines.add(C.TAX_PAYABLE, -owed_tax)
    lines.add(C.COMMISSION_REVENUE, -sum(commission for _, _, commission in vendor_shares))
    lines.add(C.STRIPE_FEES, stripe_fee)
    lines.add(C.PLATFORM_CASH, -stripe_fee)
    return entry_post(
        key=key, kind=Kind.PAYMENT_CAPTURED, reference=("order", order_id), postings=lines.items
    )


def post_transfer(
    *, vendor_id: int, amount: int, currency: str, transfer_id: str, key: str
) -> JournalEntry:
    """Platform → connected account: the vendor's pending funds become available to it."""
    _positive("amount", amount)
    lines = _Lines(currency)
    lines.add(C.VENDOR_PENDING, amount, vendor_id)
    lines.add(C.PLATFORM_CASH, -amount)
    lines.add(C.VENDOR_CONNECTED_CASH, amount, vendor_id)
    lines.add(C.VENDOR_AVAILABLE, -amount, vendor_id)
    return entry_post(key=key, kind=Kind.TRANSFER, reference=("transfer", transfer_id),
                      postings=lines.items)


def post_transfer_reversed(
    *, vendor_id: int, amount: int, currency: str, transfer_id: str, key: str
) -> JournalEntry:
    """Connected account → platform (a refund or dispute took the vendor's money back)."""
    _positive("amount", amount)
    lines = _Lines(currency)
    lines.add(C.VENDOR_AVAILABLE, amount, vendor_id)
    lines.add(C.VENDOR_CONNECTED_CASH, -amount, vendor_id)
    lines.add(C.PLATFORM_CASH, amount)
    lines.add(C.VENDOR_PENDING, -amount, vendor_id)
    return entry_post(key=key, kind=Kind.TRANSFER_REVERSED, reference=("transfer", transfer_id),
                      postings=lines.items)


def post_refund(
    *, order_id: int | str, refund_id: str, currency: str,
    vendor_shares: Sequence[tuple[int, int, int]], refund_commission: bool, key: str,
    platform_tax: Mapping[int, int] | None = None, platform_discounts: Mapping[int, int] | None = None,
) -> JournalEntry:
    """Money back to the buyer. `vendor_shares` is `[(vendor_id, gross_refunded, commission_part)]`.

    The platform-funded discount on the refunded part (`platform_discounts`) was paid to the
    vendor for a sale that no longer stands: the vendor gives it back to `platform_discounts`
    (docs/adr/0094).

    With `refund_commission` the platform gives up its commission on the refunded part (an
    expense on `refunds`); otherwise the vendor bears the whole refund and the platform keeps it.
    The deemed-supplier tax in the refunded part (`platform_tax`) is no longer owed: it comes off
    `tax_payable`, not the vendor.
    """
    if not vendor_shares:
        raise LedgerEntryInvalid("A refund needs at least one vendor share.")
    lines = _Lines(currency)
    total = 0
    for vendor_id, gross, commission in vendor_shares:
        _positive("gross", gross)
        _positive("commission", commission, allow_zero=True)
        if commission > gross:
            raise LedgerEntryInvalid(f"Vendor {vendor_id}: commission exceeds the refunded amount.")
        total += gross
        tax = _platform_tax(platform_tax, vendor_id, gross, commission if refund_commission else 0)
        lines.add(C.TAX_PAYABLE, tax)
        if refund_commission:
            lines.add(C.VENDOR_PENDING, gross - commission - tax, vendor_id)
            lines.add(C.REFUNDS, commission)
        else:
            lines.add(C.VENDOR_PENDING, gross - tax, vendor_id)
        funded = (platform_discounts or {}).get(vendor_id, 0)
        _positive("platform_discount", funded, allow_zero=True)
        lines.add(C.VENDOR_PENDING, funded, vendor_id)
        lines.add(C.PLATFORM_DISCOUNTS, -funded)
    lines.add(C.PLATFORM_CASH, -total)
    return entry_post(key=key, kind=Kind.REFUND, reference=("refund", refund_id),
                      postings=lines.items, memo=f"order {order_id}")


def _recoveries(amount: int, vendor_recoveries: Sequence[tuple[int, int]]) -> None:
    for _vendor_id, recovered in vendor_recoveries:
        _positive("recovered", recovered, allow_zero=True)
    if sum(recovered for _, recovered in vendor_recoveries) > amount:
        raise LedgerEntryInvalid("More is recovered from vendors than the disputed amount.")


def post_chargeback_opened(
    *, dispute_id: str, amount: int, currency: str, dispute_fee: int,
    vendor_recoveries: Sequence[tuple[int, int]], key: str,
) -> JournalEntry:
    """Stripe withdrew the disputed amount and its fee; each vendor's share is held in reserve.

    A vendor whose funds were already transferred goes negative on `vendor_pending`: the dispute
    is the one event allowed to do that (recovered from its next transfers or a reversal).
    """
    _positive("amount", amount)
    _positive("dispute_fee", dispute_fee, allow_zero=True)
    _recoveries(amount, vendor_recoveries)
    lines = _Lines(currency)
    lines.add(C.DISPUTED_FUNDS, amount)
    lines.add(C.PLATFORM_CASH, -amount)
    lines.add(C.STRIPE_FEES, dispute_fee)
    lines.add(C.PLATFORM_CASH, -dispute_fee)
    for vendor_id, recovered in vendor_recoveries:
        lines.add(C.VENDOR_PENDING, recovered, vendor_id)
        lines.add(C.VENDOR_DISPUTE_RESERVE, -recovered, vendor_id)
    return entry_post(key=key, kind=Kind.CHARGEBACK_OPENED, reference=("dispute", dispute_id),
                      postings=lines.items)


def post_chargeback_won(
    *, dispute_id: str, amount: int, currency: str,
    vendor_recoveries: Sequence[tuple[int, int]], key: str, fee_returned: int = 0,
) -> JournalEntry:
    """Stripe returned the disputed funds: each vendor gets its reserve back."""
    _positive("amount", amount)
    _positive("fee_returned", fee_returned, allow_zero=True)
    _recoveries(amount, vendor_recoveries)
    lines = _Lines(currency)
    lines.add(C.PLATFORM_CASH, amount)
    lines.add(C.DISPUTED_FUNDS, -amount)
    lines.add(C.PLATFORM_CASH, fee_returned)
    lines.add(C.STRIPE_FEES, -fee_returned)
    for vendor_id, recovered in vendor_recoveries:
        lines.add(C.VENDOR_DISPUTE_RESERVE, recovered, vendor_id)
        lines.add(C.VENDOR_PENDING, -recovered, vendor_id)
    return entry_post(key=key, kind=Kind.CHARGEBACK_WON, reference=("dispute", dispute_id),
                      postings=lines.items)


def post_chargeback_lost(
    *, dispute_id: str, amount: int, currency: str,
    vendor_recoveries: Sequence[tuple[int, int]], key: str,
    platform_tax: Mapping[int, int] | None = None,
) -> JournalEntry:
    """The buyer keeps the money: vendors' reserves pay their part, the platform loses the rest.

    The deemed-supplier tax in the disputed part (`platform_tax`, {vendor_id: tax}) is no longer
    owed: it comes off `tax_payable`. A vendor that bore its share gets that tax back (it never
    had it); otherwise the platform's dispute loss is that much smaller.
    """
    _positive("amount", amount)
    _recoveries(amount, vendor_recoveries)
    lines = _Lines(currency)
    lines.add(C.DISPUTED_FUNDS, -amount)
    recovered_total = 0
    for vendor_id, recovered in vendor_recoveries:
        lines.add(C.VENDOR_DISPUTE_RESERVE, recovered, vendor_id)
        recovered_total += recovered
    lines.add(C.DISPUTE_LOSSES, amount - recovered_total)
    recovered_from = {vendor_id for vendor_id, recovered in vendor_recoveries if recovered}
    for vendor_id, tax in sorted((platform_tax or {}).items()):
        _positive("platform_tax", tax, allow_zero=True)
        lines.add(C.TAX_PAYABLE, tax)
        if vendor_id in recovered_from:
            lines.add(C.VENDOR_PENDING, -tax, vendor_id)
        else:
            lines.add(C.DISPUTE_LOSSES, -tax)
    if sum((platform_tax or {}).values()) > amount:
        raise LedgerEntryInvalid("More tax than the disputed amount.")
    return entry_post(key=key, kind=Kind.CHARGEBACK_LOST, reference=("dispute", dispute_id),
                      postings=lines.items)


def post_payout(
    *, vendor_id: int, amount: int, currency: str, payout_id: str, key: str
) -> JournalEntry:
    """The connected account paid out to the vendor's bank: the money leaves Stripe."""
    _positive("amount", amount)
    lines = _Lines(currency)
    lines.add(C.VENDOR_AVAILABLE, amount, vendor_id)
    lines.add(C.VENDOR_CONNECTED_CASH, -amount, vendor_id)
    return entry_post(key=key, kind=Kind.PAYOUT, reference=("payout", payout_id),
                      postings=lines.items)


def post_fx_conversion(
    *, vendor_id: int, amount: int, currency: str, settled_amount: int, settlement_currency: str,
    reference: tuple[str, int | str], key: str,
) -> JournalEntry:
    """Move a vendor's payable from the order's currency to the vendor's own at the order's
    snapshot rate, through `fx_exchange`, so each currency balances on its own.

    Positive amounts: the vendor is owed `settled_amount` instead of `amount` (a payment). Negative:
    the vendor owes back `-settled_amount` instead of `-amount` (a refund or chargeback it bears).
    """
    if currency == settlement_currency:
        raise LedgerEntryInvalid("A conversion needs two different currencies.")
    if amount == 0 or (amount > 0) != (settled_amount > 0):
        raise LedgerEntryInvalid("Both sides of a conversion have the same non-zero sign.",
                                 fields={"settled_amount": [str(settled_amount)]})
    presented = _Lines(currency)
    presented.add(C.VENDOR_PENDING, amount, vendor_id)
    presented.add(C.FX_EXCHANGE, -amount)
    settled = _Lines(settlement_currency)
    settled.add(C.FX_EXCHANGE, settled_amount)
    settled.add(C.VENDOR_PENDING, -settled_amount, vendor_id)
    return entry_post(key=key, kind=Kind.FX_CONVERSION, reference=reference,
                      postings=presented.items + settled.items)
