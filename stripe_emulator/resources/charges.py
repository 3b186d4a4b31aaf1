"""Charges (made by confirmation only) and refunds."""

from __future__ import annotations

from typing import Any

from .. import builders
from ..errors import StripeError
from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("GET", r"/v1/charges", "charge_list"),
    ("GET", r"/v1/charges/(?P<oid>[^/]+)", "charge_retrieve"),
    ("POST", r"/v1/charges/(?P<oid>[^/]+)", "charge_update"),
    ("GET", r"/v1/charges/(?P<oid>[^/]+)/refunds", "charge_refund_list"),
    ("POST", r"/v1/refunds", "refund_create"),
    ("GET", r"/v1/refunds", "refund_list"),
    ("GET", r"/v1/refunds/(?P<oid>[^/]+)", "refund_retrieve"),
    ("POST", r"/v1/refunds/(?P<oid>[^/]+)", "refund_update"),
    ("POST", r"/v1/refunds/(?P<oid>[^/]+)/cancel", "refund_cancel"),
)


class ChargesResource(ResourceBase):
    """`/v1/charges` and `/v1/refunds`."""

    def charge_list(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        items = self.store.all("charge", owner=ctx.account)
        for name in ("payment_intent", "customer", "transfer_group"):
            value = p.string(name)
            if value:
                items = [c for c in items if c[name] == value]
        return self.list_response(ctx, "/v1/charges", items)

    def charge_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "charge", oid))

    def charge_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {
                "metadata",
                "description",
                "receipt_email",
                "fraud_details",
                "shipping",
                "transfer_group",
            }
        )
        ch = self.owned(ctx, "charge", oid)
        previous: dict[str, Any] = {}
        for name in ("description", "receipt_email", "transfer_group"):
            if name in p:
                previous[name] = ch[name]
                ch[name] = p.string(name)
        if "metadata" in p:
            previous["metadata"] = dict(ch["metadata"])
            ch["metadata"] = p.metadata(ch["metadata"])
        if previous:
            self.emit(ctx, "charge.updated", ch, account=ctx.account, previous=previous)
        return self.render(ch)

    def charge_refund_list(self, ctx: Context, oid: str) -> dict[str, Any]:
        self.owned(ctx, "charge", oid)
        items = [r for r in self.store.all("refund", owner=ctx.account) if r["charge"] == oid]
        return self.list_response(ctx, f"/v1/charges/{oid}/refunds", items)

    # refunds
    def refund_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"charge", "payment_intent", "amount", "reason", "metadata", "reverse_transfer",
             "refund_application_fee", "instructions_email", "origin", "currency", "customer"}
        )  # fmt: skip
        charge_id = p.string("charge")
        pi_id = p.string("payment_intent")
        if not charge_id and not pi_id:
            raise StripeError.missing("charge")
        if pi_id:
            pi = self.owned(ctx, "payment_intent", pi_id)
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise StripeError.state(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    code="charge_not_refundable",
                    param="payment_intent",
                )
            charge_id = pi["latest_charge"]
        ch = self.store.get_typed("charge", charge_id or "")
        if ch is None or self.store.owner(ch["id"]) != ctx.account:
            raise StripeError.not_found("charge", charge_id or "", param="charge")
        if ch["status"] != "succeeded" or not ch["captured"]:
            raise StripeError.state(
                f"Charge {ch['id']} has not been captured; cancel its PaymentIntent instead.",
                code="charge_not_refundable",
                param="charge",
            )
        if ch["disputed"]:
            raise StripeError.state(
                f"Charge {ch['id']} has been charged back; refunds are not possible.",
                code="charge_disputed",
                param="charge",
            )
        remaining = ch["amount_captured"] - ch["amount_refunded"]
        if remaining <= 0:
            raise StripeError.state(
                f"Charge {ch['id']} has already been refunded.",
                code="charge_already_refunded",
                param="charge",
            )
        amount = p.integer("amount", minimum=1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise StripeError.state(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large",
                param="amount",
            )
        reason = p.choice("reason", ("duplicate", "fraudulent", "requested_by_customer"))
        refund = builders.refund(
            created=self.store.now(), amount=amount, charge=ch, reason=reason, metadata=p.metadata()
        )
        self.store.add(refund, owner=ctx.account)
        txn = self.post_txn(
            ctx.account,
            amount=-amount,
            currency=ch["currency"],
            txn_type="refund",
            source=refund["id"],
            description="REFUND FOR CHARGE",
            reporting_category="refund",
        )
        refund["balance_transaction"] = txn["id"]
        previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"]}
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        self.emit(ctx, "refund.created", refund, account=ctx.account)
        self.emit(ctx, "charge.refunded", ch, account=ctx.account, previous=previous)
        return self.render(refund)

    def refund_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("refund", owner=ctx.account)
        for name in ("charge", "payment_intent"):
            value = ctx.params.string(name)
            if value:
                items = [r for r in items if r[name] == value]
        return self.list_response(ctx, "/v1/refunds", items)

    def refund_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "refund", oid))

    def refund_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"metadata"})
        refund = self.owned(ctx, "refund", oid)
        previous = {"metadata": dict(refund["metadata"])}
        refund["metadata"] = ctx.params.metadata(refund["metadata"])
        self.emit(ctx, "refund.updated", refund, account=ctx.account, previous=previous)
        return self.render(refund)

    def refund_cancel(self, ctx: Context, oid: str) -> dict[str, Any]:
        refund = self.owned(ctx, "refund", oid)
        raise StripeError.state(
            f"Refund {refund['id']} has status {refund['status']} and cannot be canceled; only "
            "refunds with status requires_action can be canceled.",
            code=None,
        )
