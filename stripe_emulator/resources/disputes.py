"""Disputes (chargebacks): opening, evidence, and closing won or lost."""

from __future__ import annotations

import copy
from typing import Any

from .. import builders
from ..errors import StripeError
from ..state import PLATFORM
from .base import Context, ResourceBase, Route

DISPUTE_FEE = 1500
DISPUTE_RESPONSE_DAYS = 7


ROUTES: tuple[Route, ...] = (
    ("GET", r"/v1/disputes", "dispute_list"),
    ("GET", r"/v1/disputes/(?P<oid>[^/]+)", "dispute_retrieve"),
    ("POST", r"/v1/disputes/(?P<oid>[^/]+)", "dispute_update"),
    ("POST", r"/v1/disputes/(?P<oid>[^/]+)/close", "dispute_close_api"),
)


class DisputesResource(ResourceBase):
    """`/v1/disputes`."""

    def open_dispute(
        self,
        ctx: Context | None,
        ch: dict[str, Any],
        *,
        account: str = PLATFORM,
        reason: str = "fraudulent",
    ) -> dict[str, Any]:
        if ch["disputed"]:
            raise StripeError.state(
                f"Charge {ch['id']} is already disputed.", code="charge_disputed"
            )
        now = self.store.now()
        dp = builders.dispute(
            created=now, charge=ch, reason=reason, due_by=now + DISPUTE_RESPONSE_DAYS * 86400
        )
        self.store.add(dp, owner=account)
        txn = self.post_txn(
            account,
            amount=-dp["amount"],
            currency=dp["currency"],
            txn_type="adjustment",
            source=dp["id"],
            description=f"Chargeback withdrawal for {ch['id']}",
            fee=DISPUTE_FEE,
            fee_details=[
                builders.fee_detail(DISPUTE_FEE, dp["currency"], "Dispute fee", "stripe_fee")
            ],
            reporting_category="dispute",
        )
        dp["balance_transactions"].append(copy.deepcopy(txn))
        previous = {"disputed": False}
        ch["disputed"] = True
        self.emit(ctx, "charge.dispute.created", dp, account=account)
        self.emit(ctx, "charge.dispute.funds_withdrawn", dp, account=account)
        self.emit(ctx, "charge.updated", ch, account=account, previous=previous)
        return dp

    def dispute_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("dispute", owner=ctx.account)
        for name in ("charge", "payment_intent"):
            value = ctx.params.string(name)
            if value:
                items = [d for d in items if d[name] == value]
        return self.list_response(ctx, "/v1/disputes", items)

    def dispute_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "dispute", oid))

    def dispute_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"evidence", "metadata", "submit", "intended_submission_method"})
        dp = self.owned(ctx, "dispute", oid)
        if dp["status"] not in ("needs_response", "warning_needs_response"):
            raise StripeError.state(
                f"This dispute has status {dp['status']}; its evidence can no longer be updated.",
                code=None,
            )
        evidence = p.mapping("evidence") or {}
        for key, value in evidence.items():
            if key not in builders.DISPUTE_EVIDENCE_FIELDS:
                raise StripeError.invalid(
                    f"Received unknown parameter: evidence[{key}]", param=f"evidence[{key}]"
                )
            if not isinstance(value, str):
                raise StripeError.invalid(
                    f"Invalid string: evidence[{key}]", param=f"evidence[{key}]"
                )
            if key in builders.DISPUTE_EVIDENCE_FILE_FIELDS and value:
                self._evidence_file_check(ctx, key, value)
        previous: dict[str, Any] = {
            "evidence": copy.deepcopy(dp["evidence"]),
            "evidence_details": copy.deepcopy(dp["evidence_details"]),
        }
        for key, value in evidence.items():
            dp["evidence"][key] = value or None
        if "metadata" in p:
            previous["metadata"] = dict(dp["metadata"])
            dp["metadata"] = p.metadata(dp["metadata"])
        if evidence:
            dp["evidence_details"]["has_evidence"] = True
        submit = p.boolean("submit", default=True)
        if submit:
            previous["status"] = dp["status"]
            dp["status"] = "under_review"
            dp["evidence_details"]["submission_count"] += 1
        self.emit(ctx, "charge.dispute.updated", dp, account=ctx.account, previous=previous)
        if submit:
            text = dp["evidence"].get("uncategorized_text") or ""
            account = ctx.account
            if "winning_evidence" in text:
                ctx.after.append(lambda: self.close_dispute(ctx, oid, "won", account=account))
            elif "losing_evidence" in text:
                ctx.after.append(lambda: self.close_dispute(ctx, oid, "lost", account=account))
        return self.render(dp)

    def _evidence_file_check(self, ctx: Context, key: str, file_id: str) -> None:
        """A file field holds the id of a `dispute_evidence` upload of the same account."""
        upload = self.store.get_typed("file", file_id)
        if upload is None or self.store.owner(file_id) != ctx.account:
            raise StripeError.not_found("file upload", file_id, param=f"evidence[{key}]")
        if upload["purpose"] != "dispute_evidence":
            raise StripeError.invalid(
                f"The file {file_id} has purpose {upload['purpose']}; evidence[{key}] needs a file "
                "uploaded with purpose dispute_evidence.",
                param=f"evidence[{key}]",
            )

    def dispute_close_api(self, ctx: Context, oid: str) -> dict[str, Any]:
        dp = self.owned(ctx, "dispute", oid)
        if dp["status"] not in ("needs_response", "warning_needs_response"):
            raise StripeError.state(
                f"This dispute has status {dp['status']} and cannot be closed.",
                code=None,
            )
        return self.render(self.close_dispute(ctx, oid, "lost", account=ctx.account))

    def close_dispute(
        self, ctx: Context | None, oid: str, outcome: str, *, account: str | None = None
    ) -> dict[str, Any]:
        dp = self.store.get_typed("dispute", oid)
        if dp is None:
            raise StripeError.not_found("dispute", oid)
        if dp["status"] in ("won", "lost"):
            raise StripeError.state(
                f"Dispute {oid} is already closed ({dp['status']}).", code="dispute_already_closed"
            )
        owner = account if account is not None else (self.store.owner(oid) or PLATFORM)
        previous = {"status": dp["status"]}
        if outcome == "won":
            txn = self.post_txn(
                owner,
                amount=dp["amount"],
                currency=dp["currency"],
                txn_type="adjustment",
                source=dp["id"],
                description=f"Chargeback reversal for {dp['charge']}",
                fee=-DISPUTE_FEE,
                fee_details=[
                    builders.fee_detail(
                        -DISPUTE_FEE, dp["currency"], "Dispute fee refund", "stripe_fee"
                    )
                ],
                reporting_category="dispute_reversal",
            )
            dp["balance_transactions"].append(copy.deepcopy(txn))
            dp["status"] = "won"
            self.emit(ctx, "charge.dispute.funds_reinstated", dp, account=owner)
        else:
            dp["status"] = "lost"
        dp["is_charge_refundable"] = False
        self.emit(ctx, "charge.dispute.closed", dp, account=owner, previous=previous)
        return dp
