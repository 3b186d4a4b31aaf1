"""Payouts models (public schema): commission rules and the double-entry ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Func, Q, Value
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
    "chargeback_won", "chargeback_lost", "payout", "adjustment", "reversal",
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
