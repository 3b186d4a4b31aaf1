"""Payouts models (public schema): commission rules, the double-entry ledger, transfers, payouts, exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside the exclusion constraint


class CommissionRule(TimeStampedModel):
    """How much commission the platform takes on a line; the most specific valid rule wins."""

    class Scope(models.TextChoices):
        PLATFORM = "platform", _("Platform default")
        CATEGORY = "category", _("Category")
        VENDOR = "vendor", _("Vendor")
        VENDOR_CATEGORY = "vendor_category", _("Vendor and category")

    class FixedPer(models.TextChoices):
        LINE = "line", _("Per line")
        ORDER = "order", _("Per order")

    scope = models.CharField(max_length=16, choices=Scope.choices)
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
        related_name="commission_rules",
    )
    # marketplace.Category lives in another app; an id (not a FK) keeps the apps independent.
    category_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    category_path = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    rate_bp = models.PositiveIntegerField(default=0, help_text=_("Basis points: 1000 = 10%"))
    fixed_amount = models.PositiveBigIntegerField(default=0)
    fixed_per = models.CharField(max_length=8, choices=FixedPer.choices, default=FixedPer.LINE)
    min_per_line = models.PositiveBigIntegerField(null=True, blank=True)
    max_per_line = models.PositiveBigIntegerField(null=True, blank=True)
    shipping_commissionable = models.BooleanField(default=False)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["scope", "vendor_id", "category_id", "-valid_from"]
        indexes = [models.Index(fields=["vendor", "category_id", "currency"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["platform", "category", "vendor", "vendor_category"]),
                name="commissionrule_scope_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="platform", vendor__isnull=True, category_id__isnull=True)
                    | Q(scope="category", vendor__isnull=True, category_id__isnull=False)
                    | Q(scope="vendor", vendor__isnull=False, category_id__isnull=True)
                    | Q(scope="vendor_category", vendor__isnull=False, category_id__isnull=False)
                ),
                name="commissionrule_scope_matches_targets",
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__gte=0, rate_bp__lte=10000),
                name="commissionrule_rate_0_to_100_percent",
            ),
            models.CheckConstraint(
                condition=Q(min_per_line__isnull=True)
                | Q(max_per_line__isnull=True)
                | Q(min_per_line__lte=models.F("max_per_line")),
                name="commissionrule_min_le_max",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="commissionrule_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(fixed_per__in=["line", "order"]), name="commissionrule_fixed_per_valid"
            ),
            # Two rules of the same scope, target and currency never overlap in time.
            ExclusionConstraint(
                name="commissionrule_no_overlap",
                expressions=[
                    ("scope", RangeOperators.EQUAL),
                    (Coalesce("vendor_id", Value(0)), RangeOperators.EQUAL),
                    (Coalesce("category_id", Value(0)), RangeOperators.EQUAL),
                    ("currency", RangeOperators.EQUAL),
                    (TsTzRange("valid_from", "valid_to", Value("[)")), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} #{self.pk}"

    @property
    def rate_percent(self) -> str:
        return f"{self.rate_bp / 100:.2f}".rstrip("0").rstrip(".")


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    REVENUE = "revenue", _("Revenue")
    EXPENSE = "expense", _("Expense")


class AccountCode(models.TextChoices):
    PLATFORM_CASH = "platform_cash", _("Platform cash at Stripe")
    COMMISSION_REVENUE = "commission_revenue", _("Commission revenue")
    STRIPE_FEES = "stripe_fees", _("Stripe fees")
    REFUNDS = "refunds", _("Refunds borne by the platform")
    DISPUTE_LOSSES = "dispute_losses", _("Dispute losses")
    DISPUTED_FUNDS = "disputed_funds", _("Funds withdrawn for disputes")
    ADJUSTMENTS = "adjustments", _("Manual adjustments")
    VENDOR_PENDING = "vendor_pending", _("Vendor payable, pending on the platform")
    VENDOR_AVAILABLE = "vendor_available", _("Vendor funds in its connected account")
    VENDOR_CONNECTED_CASH = "vendor_connected_cash", _("Cash in the vendor's connected account")
    VENDOR_DISPUTE_RESERVE = "vendor_dispute_reserve", _("Vendor funds held for a dispute")
    # VAT the platform owes as deemed supplier (docs/adr/0071); the tax reports read it.
    TAX_PAYABLE = "tax_payable", _("Tax owed by the platform as deemed supplier")
    # Exchange (docs/adr/0086): a vendor's payable moved from the buyer's currency to the vendor's at
    # the order's snapshot rate. Its balance per currency is the platform's open currency position;
    # valued at today's rates, their sum is the exchange gain or loss.
    FX_EXCHANGE = "fx_exchange", _("Currency exchange (gains and losses)")
    # Discounts the platform funds (docs/adr/0094): the vendor is paid as if undiscounted.
    PLATFORM_DISCOUNTS = "platform_discounts", _("Discounts funded by the platform")


# The chart of accounts: each code's type and whether it is kept per vendor (docs/ledger.md).
CHART: dict[str, tuple[str, bool]] = {
    AccountCode.PLATFORM_CASH: (AccountType.ASSET, False),
    AccountCode.COMMISSION_REVENUE: (AccountType.REVENUE, False),
    AccountCode.STRIPE_FEES: (AccountType.EXPENSE, False),
    AccountCode.REFUNDS: (AccountType.EXPENSE, False),
    AccountCode.DISPUTE_LOSSES: (AccountType.EXPENSE, False),
    AccountCode.DISPUTED_FUNDS: (AccountType.ASSET, False),
    AccountCode.ADJUSTMENTS: (AccountType.EXPENSE, False),
    AccountCode.VENDOR_PENDING: (AccountType.LIABILITY, True),
    AccountCode.VENDOR_AVAILABLE: (AccountType.LIABILITY, True),
    AccountCode.VENDOR_CONNECTED_CASH: (AccountType.ASSET, True),
    AccountCode.VENDOR_DISPUTE_RESERVE: (AccountType.LIABILITY, True),
    AccountCode.TAX_PAYABLE: (AccountType.LIABILITY, False),
    AccountCode.FX_EXCHANGE: (AccountType.ASSET, False),
    AccountCode.PLATFORM_DISCOUNTS: (AccountType.EXPENSE, False),
}


class LedgerAccount(models.Model):
    code = models.CharField(max_length=32, choices=AccountCode.choices)
    type = models.CharField(max_length=16, choices=AccountType.choices)
    currency = models.CharField(max_length=3)
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
        related_name="ledger_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor_id", "code", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "currency", "vendor"], nulls_distinct=False,
                name="ledgeraccount_unique_code_currency_vendor",
            ),
            models.CheckConstraint(
                condition=Q(type__in=["asset", "liability", "revenue", "expense"]),
                name="ledgeraccount_type_valid",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" · vendor {self.vendor_id}" if self.vendor_id else ""
        return f"{self.get_code_display()} ({self.currency}){suffix}"

    @property
    def debit_normal(self) -> bool:
        return self.type in (AccountType.ASSET, AccountType.EXPENSE)


_KINDS = [
    "payment_captured", "transfer", "transfer_reversed", "refund", "chargeback_opened",
    "chargeback_won", "chargeback_lost", "payout", "adjustment", "reversal", "fx_conversion",
]


class JournalEntry(models.Model):
    """One balanced money event. Append-only: a PostgreSQL trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        PAYMENT_CAPTURED = "payment_captured", _("Payment captured")
        TRANSFER = "transfer", _("Transfer to vendor")
        TRANSFER_REVERSED = "transfer_reversed", _("Transfer reversed")
        REFUND = "refund", _("Refund")
        CHARGEBACK_OPENED = "chargeback_opened", _("Chargeback opened")
        CHARGEBACK_WON = "chargeback_won", _("Chargeback won")
        CHARGEBACK_LOST = "chargeback_lost", _("Chargeback lost")
        PAYOUT = "payout", _("Payout to bank")
        FX_CONVERSION = "fx_conversion", _("Currency conversion")
        ADJUSTMENT = "adjustment", _("Manual adjustment")
        REVERSAL = "reversal", _("Reversal")

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=100, blank=True)
    memo = models.TextField(blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["reference_type", "reference_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=_KINDS),
                name="journalentry_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Posting(models.Model):
    """A signed amount on one account: positive = debit, negative = credit."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "entry"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount} {self.currency}"


class LedgerBalance(models.Model):
    """Running balance per account, maintained by a PostgreSQL trigger on posting insert."""

    account = models.OneToOneField(
        LedgerAccount, on_delete=models.PROTECT, primary_key=True, related_name="running"
    )
    balance = models.BigIntegerField(default=0)
    posting_count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


# ---------------------------------------------------------------------------------------------
# transfers, payouts, exports (docs/payouts.md)
# ---------------------------------------------------------------------------------------------
class HoldPolicy(models.TextChoices):
    IMMEDIATE = "immediate", _("At once when paid")
    ON_SHIPMENT = "on_shipment", _("When shipped")
    DAYS_AFTER_DELIVERY = "days_after_delivery", _("N days after delivery")


class VendorPayoutPolicy(TimeStampedModel):
    """A vendor's override of the platform hold policy (settings.PAYOUTS_HOLD_POLICY)."""

    vendor = models.OneToOneField(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="payout_policy"
    )
    hold_policy = models.CharField(max_length=24, choices=HoldPolicy.choices)
    hold_days = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_policy__in=["immediate", "on_shipment", "days_after_delivery"]),
                name="vendorpayoutpolicy_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(hold_days__lte=90), name="vendorpayoutpolicy_days_le_90"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.hold_policy}"


class Transfer(TimeStampedModel):
    """The vendor's net of one sub-order, moved to its connected account when released."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")
        TRANSFERRED = "transferred", _("Transferred")
        FAILED = "failed", _("Failed")
        REVERSED = "reversed", _("Reversed")
        PARTIALLY_REVERSED = "partially_reversed", _("Partially reversed")

    sub_order = models.OneToOneField(
        "orders.SubOrder", on_delete=models.PROTECT, related_name="transfer"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="transfers")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    hold_policy = models.CharField(max_length=24, choices=HoldPolicy.choices)
    release_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Open claims/disputes holding the funds: {"<reason>": "<since iso>"}.
    hold_reasons = models.JSONField(default=dict, blank=True)
    stripe_transfer_id = models.CharField(max_length=255, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Reductions: before the transfer they lower what is sent; after it, Stripe reversals.
    amount_reversed = models.BigIntegerField(default=0)
    # A transfer in the vendor's own currency (docs/adr/0086): the sum of its reductions in the
    # order's currency. Each reduction converts the running sum, so the parts add up exactly.
    presented_reversed = models.BigIntegerField(default=0, db_default=0)
    amount_transferred = models.BigIntegerField(default=0)
    # Bumped after a definitive gateway refusal so a retry is a new request (a network error
    # keeps the key: the first request may have gone through).
    key_generation = models.PositiveSmallIntegerField(default=0)
    transferred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "release_at"], name="transfer_status_release_idx"),
            models.Index(fields=["vendor", "created_at"], name="transfer_vendor_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[
                    "pending", "held", "released", "transferred", "failed", "reversed",
                    "partially_reversed",
                ]),
                name="transfer_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="transfer_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(amount_reversed__gte=0, amount_reversed__lte=F("amount")),
                name="transfer_reversed_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["transferred", "partially_reversed"])
                | ~Q(stripe_transfer_id=""),
                name="transfer_transferred_has_stripe_id",
            ),
            models.CheckConstraint(
                condition=Q(amount_transferred__gte=0, amount_transferred__lte=F("amount")),
                name="transfer_transferred_within_amount",
            ),
            models.UniqueConstraint(
                fields=["stripe_transfer_id"], condition=~Q(stripe_transfer_id=""),
                name="transfer_stripe_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"transfer {self.idempotency_key} ({self.status})"

    @property
    def amount_due(self) -> int:
        """What is still to be sent (before the transfer) or kept by the vendor (after)."""
        return self.amount - self.amount_reversed

    @property
    def gateway_key(self) -> str:
        if self.key_generation:
            return f"{self.idempotency_key}:g{self.key_generation}"
        return self.idempotency_key


class TransferEvent(models.Model):
    """One status move of a transfer (append-only): from, to, why, who; ops read it as a timeline."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=24)
    to_status = models.CharField(max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    # staff (finance's retry) or system (the beat, a claim, a refund).
    actor_kind = models.CharField(max_length=8, default="system")
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["transfer", "created_at"], name="transferevent_time_idx")]

    def __str__(self) -> str:
        return f"transfer {self.transfer_id}: {self.from_status} → {self.to_status}"


class TransferReversal(models.Model):
    """One reduction of a transfer (refund, claim, chargeback), once per caller's key."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="reversals")
    key = models.CharField(max_length=200, unique=True)
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    # Blank when the transfer had not gone out yet (it is simply sent smaller).
    stripe_reversal_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transferreversal_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"reversal {self.key} ({self.amount})"


class Payout(TimeStampedModel):
    """A connected account's payout to its bank, recorded from `payout.*` Connect webhooks."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_TRANSIT = "in_transit", _("In transit")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="payouts")
    stripe_payout_id = models.CharField(max_length=255, unique=True)
    account = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices)
    arrival_date = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    # `created` of the newest event applied: older events never overwrite newer state.
    last_event_created = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["vendor", "created_at"], name="payout_vendor_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "in_transit", "paid", "failed", "canceled"]),
                name="payout_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payout_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"payout {self.stripe_payout_id} ({self.status})"


class ExportJob(TimeStampedModel):
    """A finance export built by a Celery task; the same request twice is the same job."""

    class Kind(models.TextChoices):
        PAYOUT_REPORT = "payout_report", _("Payout report (transfers and payouts)")
        COMMISSION_REPORT = "commission_report", _("Commission report")
        VENDOR_STATEMENT = "vendor_statement", _("Vendor statement")
        TAX_SUMMARY = "tax_summary", _("Yearly gross sales per vendor (DAC7)")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    params = models.JSONField(default=dict)
    params_checksum = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[
                    "payout_report", "commission_report", "vendor_statement", "tax_summary",
                ]),
                name="exportjob_kind_valid",
            ),
            models.CheckConstraint(condition=Q(format__in=["csv", "xlsx"]), name="exportjob_format_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="exportjob_status_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="exportjob_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} {self.kind} ({self.status})"


class InvoiceCounter(models.Model):
    """The last number a vendor issued in a year: locked (`select_for_update`) in the transaction
    that issues the next document, so a rolled-back issue leaves no gap (docs/adr/0072)."""

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "year"], name="invoicecounter_one_per_vendor_year")]

    def __str__(self) -> str:
        return f"vendor {self.vendor_id} · {self.year}: {self.last_number}"


class Invoice(models.Model):
    """A legal invoice (or credit note) of one vendor part of an order: a frozen snapshot of what
    was sold, to whom, and the tax per rate; its PDF is rendered from this snapshot."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="invoices")
    sub_order = models.ForeignKey("orders.SubOrder", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=32)
    # What the document answers to: the sub-order for an invoice, the refund for a credit note.
    key = models.CharField(max_length=200, unique=True)
    credits = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes")
    issued_at = models.DateTimeField()
    language = models.CharField(max_length=8)
    currency = models.CharField(max_length=3)
    # Amounts of a credit note are positive: what is credited back.
    net_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    total_amount = models.BigIntegerField()
    # {"seller": {...}, "buyer": {...}, "lines": [...], "vat": [{"rate_bp", "net", "tax"}], "notes": [...]}
    content = models.JSONField()

    class Meta:
        ordering = ["vendor_id", "year", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "year", "sequence"], name="invoice_number_unique_per_vendor_year"),
            models.UniqueConstraint(fields=["sub_order"], condition=Q(kind="invoice"), name="invoice_one_per_sub_order"),
            models.CheckConstraint(condition=Q(kind__in=["invoice", "credit_note"]), name="invoice_kind_valid"),
            models.CheckConstraint(
                condition=Q(net_amount__gte=0, tax_amount__gte=0, total_amount=F("net_amount") + F("tax_amount")),
                name="invoice_amounts_sum",
            ),
        ]

    def __str__(self) -> str:
        return self.number
