"""Claim and chargeback state changes: opening, answers, escalation, arbitration, refunds, evidence; one module per entity, every public name re-exported here.

Every service is one transaction that locks what it changes and checks the move against
`TRANSITIONS` (walked completely by a test). Refunds lock the order lines, never exceed what is
left to refund on any line (summed over every earlier refund), call the gateway with a key derived
from the claim and its refund count (a retry replays, never pays twice) and post the ledger entry
in the same transaction. Vendor recovery (transfer reversal) and fund holds go through payouts'
services after commit; without a transfer yet, the vendor's pending balance is simply reduced.
"""

from disputes.services.amounts import (
    PAID_SUB_ORDER_STATUSES as PAID_SUB_ORDER_STATUSES,
)
from disputes.services.amounts import (
    claim_line_caps as claim_line_caps,
)
from disputes.services.amounts import (
    claim_refundable as claim_refundable,
)
from disputes.services.amounts import (
    line_charge as line_charge,
)
from disputes.services.amounts import (
    refund_basis_lock as refund_basis_lock,
)
from disputes.services.amounts import (
    units_amount as units_amount,
)
from disputes.services.attachments import (
    ATTACHMENT_MAX_BYTES as ATTACHMENT_MAX_BYTES,
)
from disputes.services.attachments import (
    ATTACHMENT_TYPES as ATTACHMENT_TYPES,
)
from disputes.services.attachments import (
    ATTACHMENTS_MAX as ATTACHMENTS_MAX,
)
from disputes.services.attachments import (
    attachments_check as attachments_check,
)
from disputes.services.chargebacks import (
    EVIDENCE_FIELDS as EVIDENCE_FIELDS,
)
from disputes.services.chargebacks import (
    chargeback_apply as chargeback_apply,
)
from disputes.services.chargebacks import (
    chargeback_closed_after as chargeback_closed_after,
)
from disputes.services.chargebacks import (
    chargeback_evidence_add as chargeback_evidence_add,
)
from disputes.services.chargebacks import (
    chargeback_evidence_submit as chargeback_evidence_submit,
)
from disputes.services.chargebacks import (
    chargeback_opened_after as chargeback_opened_after,
)
from disputes.services.chargebacks import (
    chargeback_recover as chargeback_recover,
)
from disputes.services.claims import (
    DESCRIPTION_MAX as DESCRIPTION_MAX,
)
from disputes.services.claims import (
    claim_accept as claim_accept,
)
from disputes.services.claims import (
    claim_decide as claim_decide,
)
from disputes.services.claims import (
    claim_escalate as claim_escalate,
)
from disputes.services.claims import (
    claim_message_post as claim_message_post,
)
from disputes.services.claims import (
    claim_open as claim_open,
)
from disputes.services.claims import (
    claim_reject as claim_reject,
)
from disputes.services.claims import (
    claim_return_received as claim_return_received,
)
from disputes.services.claims import (
    claim_withdraw as claim_withdraw,
)
from disputes.services.claims import (
    claims_escalate_overdue as claims_escalate_overdue,
)
from disputes.services.evidence_files import (
    EVIDENCE_FILE_FIELDS as EVIDENCE_FILE_FIELDS,
)
from disputes.services.evidence_files import (
    evidence_files_default as evidence_files_default,
)
from disputes.services.notices import (
    claim_notify as claim_notify,
)
from disputes.services.policy import (
    add_business_days as add_business_days,
)
from disputes.services.policy import (
    chargeback_liability as chargeback_liability,
)
from disputes.services.policy import (
    claim_window_days as claim_window_days,
)
from disputes.services.policy import (
    refund_commission_policy as refund_commission_policy,
)
from disputes.services.policy import (
    return_window_days as return_window_days,
)
from disputes.services.policy import (
    vendor_claim_policy_set as vendor_claim_policy_set,
)
from disputes.services.policy import (
    vendor_sla_business_days as vendor_sla_business_days,
)
from disputes.services.refunds import (
    claim_refund_issue as claim_refund_issue,
)
from disputes.services.refunds import (
    claim_refund_recover as claim_refund_recover,
)
from disputes.services.transitions import (
    TRANSITIONS as TRANSITIONS,
)
