"""Domain errors of commissions and the ledger, each with a stable code."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from common.exceptions import ApplicationError, Conflict, NotFound
from payments.errors import GatewayUnavailable


class CommissionRuleInvalid(ApplicationError):
    code = "commission_rule_invalid"


class CommissionRuleOverlap(Conflict):
    code = "commission_rule_overlap"


class CommissionRuleMissing(ApplicationError):
    """No rule applies: checkout must not guess a commission."""

    code = "commission_rule_missing"


class CommissionInputInvalid(ApplicationError):
    code = "commission_input_invalid"


class CommissionRuleNotFound(NotFound):
    code = "commission_rule_not_found"


class LedgerEntryInvalid(ApplicationError):
    code = "ledger_entry_invalid"


class LedgerEntryUnbalanced(ApplicationError):
    code = "ledger_entry_unbalanced"


class LedgerKeyConflict(Conflict):
    """The idempotency key was already used for a different entry."""

    code = "ledger_key_conflict"


class LedgerEntryAlreadyReversed(Conflict):
    code = "ledger_entry_already_reversed"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class TransferStateConflict(Conflict):
    code = "transfer_state_conflict"


class TransferReversalInvalid(ApplicationError):
    code = "transfer_reversal_invalid"


# What a transfer reversal can fail with and still succeed later, so the tasks that recover money
# from vendors retry on these and on nothing else: the transfer is being sent right now, Stripe
# stayed unreachable through the gateway's own retries (the reversal keeps its idempotency key),
# or the database connection was lost or a deadlock broken. Every other error is final.
TRANSFER_REVERSAL_TRANSIENT: tuple[type[Exception], ...] = (
    TransferStateConflict, GatewayUnavailable, OperationalError, InterfaceError,
)


class PayoutPolicyInvalid(ApplicationError):
    code = "payout_policy_invalid"


class ReportPeriodInvalid(ApplicationError):
    code = "report_period_invalid"


class ExportRequestInvalid(ApplicationError):
    code = "export_request_invalid"


class ExportNotReady(Conflict):
    code = "export_not_ready"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"
