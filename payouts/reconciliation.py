"""Reconciliation of the ledger against the gateway's balance transactions (platform and vendors).

Every gateway balance transaction of the platform is matched to the ledger entry of its source
(charge → `payment_captured`, transfer → `transfer`, refund → `refund`, …) and every connected
account's balance is compared with its `vendor_connected_cash` account. Each difference is listed
with the object it concerns; the page and `manage.py reconcile` show the same report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Sum

from payments import gateway
from payments.errors import GatewayError
from payouts.ledger.selectors import ledger_mismatches, unbalanced_entries
from payouts.models import AccountCode, JournalEntry, LedgerBalance, Posting


@dataclass(frozen=True)
class Mismatch:
    check: str
    object_id: str
    gateway: int | None
    ledger: int | None
    currency: str
    detail: str

    @property
    def difference(self) -> int:
        return (self.gateway or 0) - (self.ledger or 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "difference": self.difference}


@dataclass
class ReconciliationReport:
    mismatches: list[Mismatch] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def balances(self) -> list[dict[str, Any]]:
        """`totals` for display, each with its currency (the last word of its name: "platform EUR",
        "vendor 3 EUR")."""
        return [{"name": name, "currency": name.rsplit(" ", 1)[-1], **values} for name, values in self.totals.items()]

    @property
    def unexplained(self) -> dict[str, int]:
        """Net difference in minor units per currency over the balance checks."""
        result: dict[str, int] = defaultdict(int)
        for mismatch in self.mismatches:
            if mismatch.check.startswith("balance"):
                result[mismatch.currency] += mismatch.difference
        return dict(result)


def _platform_cash_of(entry_key: str | None, reference: tuple[str, str] | None = None) -> dict[str, int]:
    """The net platform_cash movement of an entry (by key, or by kind + reference id), per currency."""
    postings = Posting.objects.filter(account__code=AccountCode.PLATFORM_CASH)
    if entry_key is not None:
        postings = postings.filter(entry__key=entry_key)
    elif reference is not None:
        postings = postings.filter(entry__kind=reference[0], entry__reference_id=reference[1])
    return {row["currency"]: row["total"] for row in
            postings.values("currency").annotate(total=Sum("amount")).order_by()}


class _ChargeOrders:
    """charge id → order id: from the payment records the webhooks keep, else (orders paid without
    a record, e.g. seeded) from the gateway's PaymentIntent, fetched once per order."""

    def __init__(self) -> None:
        self._fallback: dict[str, int] | None = None

    def order_for(self, charge_id: str) -> int | None:
        from orders.models import Order
        from payments.models import PaymentRecord

        intent = PaymentRecord.objects.filter(latest_charge=charge_id).values_list(
            "payment_intent_id", flat=True).first()
        if intent:
            return Order.objects.filter(payment_intent_id=intent).values_list("pk", flat=True).first()
        if self._fallback is None:
            self._fallback = {}
            recorded = PaymentRecord.objects.exclude(latest_charge="").values("payment_intent_id")
            for order_id, intent_id in (Order.objects.filter(paid_at__isnull=False).exclude(payment_intent_id="")
                                        .exclude(payment_intent_id__in=recorded)
                                        .values_list("pk", "payment_intent_id").iterator()):
                charge = gateway.payment_intent_retrieve(payment_intent_id=intent_id).latest_charge
                if charge:
                    self._fallback[charge] = order_id
        return self._fallback.get(charge_id)


def _source_id(txn: dict[str, Any]) -> str:
    source = txn.get("source")
    if isinstance(source, dict):
        return str(source.get("id") or "")
    return str(source or "")


def reconcile(*, include_vendors: bool = True) -> ReconciliationReport:
    """Compare the whole ledger with the gateway; every mismatch is one row of the report."""
    report = ReconciliationReport()
    for row in ledger_mismatches():
        report.mismatches.append(Mismatch("ledger_running_balance", str(row["account_id"]), row["postings"],
                                          row["running"], "", "running balance differs from its postings"))
    for entry_id, currency, total in unbalanced_entries():
        report.mismatches.append(Mismatch("ledger_unbalanced_entry", str(entry_id), 0, total, currency,
                                          "entry does not balance"))

    gateway_cash: dict[str, int] = defaultdict(int)
    charge_orders = _ChargeOrders()
    seen_transfers: set[str] = set()
    for txn in gateway.balance_transactions_list(created_gte=None, created_lt=None):
        currency = str(txn.get("currency", "")).upper()
        net = int(txn.get("net", int(txn.get("amount", 0)) - int(txn.get("fee", 0))))
        gateway_cash[currency] += net
        kind, source = txn.get("type"), _source_id(txn)
        report.checked[kind or "other"] += 1
        if kind in ("charge", "payment"):
            order_id = charge_orders.order_for(source)
            ledger = _platform_cash_of(f"payment_captured:order:{order_id}") if order_id else {}
            if ledger.get(currency) != net:
                report.mismatches.append(Mismatch(
                    "charge", source, net, ledger.get(currency), currency,
                    "no payment_captured entry for this charge" if not ledger
                    else "captured amount minus fee differs"))
        elif kind == "transfer":
            seen_transfers.add(source)
            ledger = _platform_cash_of(None, ("transfer", source))
            if ledger.get(currency) != net:
                report.mismatches.append(Mismatch("transfer", source, net, ledger.get(currency), currency,
                                                  "no transfer entry" if not ledger else "amount differs"))
        elif kind == "refund":
            ledger = _platform_cash_of(None, ("refund", source))
            if ledger.get(currency) != net:
                report.mismatches.append(Mismatch("refund", source, net, ledger.get(currency), currency,
                                                  "no refund entry" if not ledger else "amount differs"))

    for transfer_id in JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANSFER).values_list(
            "reference_id", flat=True).iterator():
        if transfer_id not in seen_transfers:
            report.mismatches.append(Mismatch("transfer", transfer_id, None, None, "",
                                              "in the ledger but not at the gateway"))

    ledger_cash = dict(LedgerBalance.objects.filter(
        account__code=AccountCode.PLATFORM_CASH).values_list("account__currency", "balance"))
    for currency in sorted(set(gateway_cash) | set(ledger_cash)):
        report.totals[f"platform {currency}"] = {"gateway": gateway_cash.get(currency, 0),
                                                 "ledger": ledger_cash.get(currency, 0)}
        if gateway_cash.get(currency, 0) != ledger_cash.get(currency, 0):
            report.mismatches.append(Mismatch("balance_platform", "platform", gateway_cash.get(currency, 0),
                                              ledger_cash.get(currency, 0), currency,
                                              "platform Stripe balance differs from platform_cash"))
    if include_vendors:
        _reconcile_vendors(report)
    return report


def _reconcile_vendors(report: ReconciliationReport) -> None:
    from vendors.models import Vendor

    for vendor_id, account_id in Vendor.objects.exclude(stripe_account_id="").values_list("pk", "stripe_account_id"):
        ledger = dict(LedgerBalance.objects.filter(
            account__code=AccountCode.VENDOR_CONNECTED_CASH, account__vendor_id=vendor_id,
        ).values_list("account__currency", "balance"))
        remote: dict[str, int] = defaultdict(int)
        try:
            for txn in gateway.balance_transactions_list(created_gte=None, created_lt=None, account_id=account_id):
                remote[str(txn.get("currency", "")).upper()] += int(
                    txn.get("net", int(txn.get("amount", 0)) - int(txn.get("fee", 0))))
                report.checked["vendor_transactions"] += 1
        except GatewayError as exc:
            report.mismatches.append(Mismatch("balance_vendor", account_id, None, None, "",
                                              f"cannot read the account: {exc}"))
            continue
        for currency in sorted(set(remote) | set(ledger)):
            report.totals[f"vendor {vendor_id} {currency}"] = {"gateway": remote.get(currency, 0),
                                                               "ledger": ledger.get(currency, 0)}
            if remote.get(currency, 0) != ledger.get(currency, 0):
                report.mismatches.append(Mismatch(
                    "balance_vendor", account_id, remote.get(currency, 0), ledger.get(currency, 0), currency,
                    f"vendor {vendor_id}: connected balance differs from vendor_connected_cash"))
