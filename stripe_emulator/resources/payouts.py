"""Payouts from an available balance, paid at once or by the control API."""

from __future__ import annotations

from typing import Any

from .. import builders
from ..errors import StripeError
from ..state import PLATFORM
from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/payouts", "payout_create"),
    ("GET", r"/v1/payouts", "payout_list"),
    ("GET", r"/v1/payouts/(?P<oid>[^/]+)", "payout_retrieve"),
    ("POST", r"/v1/payouts/(?P<oid>[^/]+)", "payout_update"),
    ("POST", r"/v1/payouts/(?P<oid>[^/]+)/cancel", "payout_cancel"),
)


class PayoutsResource(ResourceBase):
    """`/v1/payouts`."""

    def payout_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"amount", "currency", "description", "metadata", "method", "statement_descriptor",
             "destination", "source_type"}
        )  # fmt: skip
        amount = p.integer("amount", required=True, minimum=1) or 0
        currency = p.currency() or "usd"
        method = p.choice("method", ("standard", "instant"), default="standard") or "standard"
        destination: str | None = None
        if not ctx.is_platform:
            acct = self.store.get_typed("account", ctx.account)
            assert acct is not None
            if not acct["payouts_enabled"]:
                raise StripeError.state(
                    "Payouts are not enabled for this account; complete onboarding first.",
                    code="payouts_not_allowed",
                )
            banks = self.store.meta(ctx.account).get("external_accounts", [])
            destination = banks[0]["id"] if banks else None
        else:
            destination = "ba_" + self.store.platform_account_id[5:]
        requested_destination = p.string("destination")
        if requested_destination:
            destination = requested_destination
        if self.available(ctx.account, currency) < amount:
            raise StripeError.state(
                "You have insufficient funds in your Stripe account for this transfer. Your "
                "card balance is too low. You can use the /v1/balance endpoint to view your "
                "Stripe balance (for more details, see stripe.com/docs/api#balance).",
                code="balance_insufficient",
                param="amount",
            )
        po = builders.payout(
            created=self.store.now(),
            amount=amount,
            currency=currency,
            destination=destination,
            description=p.string("description"),
            metadata=p.metadata(),
            method=method,
            statement_descriptor=p.string("statement_descriptor"),
        )
        self.store.add(po, owner=ctx.account)
        txn = self.post_txn(
            ctx.account,
            amount=-amount,
            currency=currency,
            txn_type="payout",
            source=po["id"],
            description=po["description"] or "STRIPE PAYOUT",
            reporting_category="payout",
        )
        po["balance_transaction"] = txn["id"]
        self.store.meta(po["id"])["txns"] = [txn["id"]]
        self.emit(ctx, "payout.created", po, account=ctx.account)
        if self.settings["payouts_auto_paid"]:
            ctx.after.append(lambda: self.payout_mark_paid(ctx, po["id"]))
        return self.render(po)

    def payout_mark_paid(self, ctx: Context | None, oid: str) -> dict[str, Any]:
        po = self.store.get_typed("payout", oid)
        if po is None:
            raise StripeError.not_found("payout", oid)
        if po["status"] not in ("pending", "in_transit"):
            raise StripeError.state(
                f"Payout {oid} has status {po['status']} and cannot be paid.",
                code=None,
            )
        account = self.store.owner(oid) or PLATFORM
        previous = {"status": po["status"]}
        po["status"] = "paid"
        po["reconciliation_status"] = "completed"
        po["trace_id"] = {"status": "supported", "value": "EMUTRACE" + oid[-8:].upper()}
        self.emit(ctx, "payout.paid", po, account=account, previous=previous)
        self.emit(ctx, "payout.updated", po, account=account, previous=previous)
        return self.render(po)

    def payout_fail(
        self,
        ctx: Context | None,
        oid: str,
        code: str = "account_closed",
        message: str | None = None,
    ) -> dict[str, Any]:
        po = self.store.get_typed("payout", oid)
        if po is None:
            raise StripeError.not_found("payout", oid)
        if po["status"] not in ("pending", "in_transit", "paid"):
            raise StripeError.state(
                f"Payout {oid} has status {po['status']} and cannot fail.",
                code=None,
            )
        account = self.store.owner(oid) or PLATFORM
        txn = self.post_txn(
            account,
            amount=po["amount"],
            currency=po["currency"],
            txn_type="payout_failure",
            source=po["id"],
            description="Payout failure",
            reporting_category="payout_reversal",
        )
        self.store.meta(oid).setdefault("txns", []).append(txn["id"])
        previous = {"status": po["status"], "failure_code": None, "failure_message": None}
        po["status"] = "failed"
        po["failure_code"] = code
        po["failure_message"] = message or "The bank account has been closed."
        po["failure_balance_transaction"] = txn["id"]
        self.emit(ctx, "payout.failed", po, account=account, previous=previous)
        self.emit(ctx, "payout.updated", po, account=account, previous=previous)
        return self.render(po)

    def payout_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("payout", owner=ctx.account)
        status = ctx.params.string("status")
        if status:
            items = [po for po in items if po["status"] == status]
        return self.list_response(ctx, "/v1/payouts", items)

    def payout_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "payout", oid))

    def payout_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"metadata"})
        po = self.owned(ctx, "payout", oid)
        previous = {"metadata": dict(po["metadata"])}
        po["metadata"] = ctx.params.metadata(po["metadata"])
        self.emit(ctx, "payout.updated", po, account=ctx.account, previous=previous)
        return self.render(po)

    def payout_cancel(self, ctx: Context, oid: str) -> dict[str, Any]:
        po = self.owned(ctx, "payout", oid)
        if po["status"] != "pending":
            raise StripeError.state(
                f"Payout {oid} has status {po['status']}; only pending payouts can be canceled.",
                code=None,
            )
        txn = self.post_txn(
            ctx.account,
            amount=po["amount"],
            currency=po["currency"],
            txn_type="payout_cancel",
            source=po["id"],
            reporting_category="payout_reversal",
        )
        self.store.meta(oid).setdefault("txns", []).append(txn["id"])
        previous = {"status": po["status"]}
        po["status"] = "canceled"
        self.emit(ctx, "payout.canceled", po, account=ctx.account, previous=previous)
        return self.render(po)
