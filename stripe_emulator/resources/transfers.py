"""Transfers to connected accounts and their reversals."""

from __future__ import annotations

from typing import Any

from .. import builders
from ..errors import StripeError
from ..state import PLATFORM, new_id
from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/transfers", "transfer_create"),
    ("GET", r"/v1/transfers", "transfer_list"),
    ("GET", r"/v1/transfers/(?P<oid>[^/]+)", "transfer_retrieve"),
    ("POST", r"/v1/transfers/(?P<oid>[^/]+)", "transfer_update"),
    ("POST", r"/v1/transfers/(?P<oid>[^/]+)/reversals", "reversal_create"),
    ("GET", r"/v1/transfers/(?P<oid>[^/]+)/reversals", "reversal_list"),
    ("GET", r"/v1/transfers/(?P<oid>[^/]+)/reversals/(?P<rid>[^/]+)", "reversal_retrieve"),
    ("POST", r"/v1/transfers/(?P<oid>[^/]+)/reversals/(?P<rid>[^/]+)", "reversal_update"),
)


class TransfersResource(ResourceBase):
    """`/v1/transfers` and `/v1/transfers/{id}/reversals`."""

    def transfer_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"amount", "currency", "destination", "transfer_group", "source_transaction",
             "description", "metadata", "source_type"}
        )  # fmt: skip
        amount = p.integer("amount", required=True, minimum=1) or 0
        currency = p.currency() or "usd"
        destination = p.string("destination", required=True) or ""
        if not ctx.is_platform:
            raise StripeError.invalid("Transfers can only be created by the platform.")
        dest = self.store.get_typed("account", destination)
        if dest is None:
            raise StripeError.not_found("destination", destination, param="destination")
        if dest["capabilities"].get("transfers") != "active":
            raise StripeError.state(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        source_id = p.string("source_transaction")
        if source_id:
            source = self.store.get_typed("charge", source_id)
            if source is None or self.store.owner(source_id) != PLATFORM:
                raise StripeError.not_found("charge", source_id, param="source_transaction")
            if source["status"] != "succeeded" or not source["captured"]:
                raise StripeError.state(
                    f"The source_transaction {source_id} has not succeeded and been captured.",
                    code="charge_not_captured" if not source["captured"] else "invalid_charge",
                    param="source_transaction",
                )
            if source["currency"] != currency:
                raise StripeError.invalid(
                    f"The currency of source_transaction's balance transaction "
                    f"({source['currency']}) must be the same as the transfer currency "
                    f"({currency}).",
                    param="currency",
                )
            left = self.source_transferable(source)
            if amount > left:
                raise StripeError.state(
                    f"Insufficient funds in Stripe account. The source transaction {source_id} "
                    f"has only {left} {currency} left to transfer.",
                    code="balance_insufficient",
                    param="amount",
                )
        elif self.available(PLATFORM, currency) < amount:
            raise StripeError.state(
                "You have insufficient available funds in your Stripe account. Try adding funds "
                "directly to your available balance by creating Charges using the "
                "4000000000000077 test card.",
                code="balance_insufficient",
                param="amount",
            )
        tr = builders.transfer(
            created=self.store.now(),
            amount=amount,
            currency=currency,
            destination=destination,
            description=p.string("description"),
            metadata=p.metadata(),
            source_transaction=source_id,
            transfer_group=p.string("transfer_group"),
        )
        self.store.add(tr)
        txn = self.post_txn(
            PLATFORM,
            amount=-amount,
            currency=currency,
            txn_type="transfer",
            source=tr["id"],
            description=tr["description"],
            reporting_category="transfer",
        )
        tr["balance_transaction"] = txn["id"]
        payment = builders.charge(
            charge_id=new_id("py_"),
            created=self.store.now(),
            amount=amount,
            currency=currency,
            pi=None,
            pm=None,
            status="succeeded",
            captured=True,
            outcome=builders.outcome(approved=True),
            metadata={},
            source_transfer=tr["id"],
        )
        payment["transfer_group"] = tr["transfer_group"]
        self.store.add(payment, owner=destination)
        dest_txn = self.post_txn(
            destination,
            amount=amount,
            currency=currency,
            txn_type="payment",
            source=payment["id"],
            reporting_category="charge",
        )
        payment["balance_transaction"] = dest_txn["id"]
        tr["destination_payment"] = payment["id"]
        self.emit(ctx, "transfer.created", tr)
        return self.render(tr)

    def source_transferable(self, source: dict[str, Any]) -> int:
        moved = sum(
            t["amount"] - t["amount_reversed"]
            for t in self.store.all("transfer")
            if t["source_transaction"] == source["id"]
        )
        return int(source["amount_captured"] - source["amount_refunded"] - moved)

    def transfer_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("transfer") if ctx.is_platform else []
        for name in ("destination", "transfer_group"):
            value = ctx.params.string(name)
            if value:
                items = [t for t in items if t[name] == value]
        return self.list_response(ctx, "/v1/transfers", items)

    def transfer_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "transfer", oid))

    def transfer_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"metadata", "description"})
        tr = self.owned(ctx, "transfer", oid)
        previous: dict[str, Any] = {}
        if "metadata" in ctx.params:
            previous["metadata"] = dict(tr["metadata"])
            tr["metadata"] = ctx.params.metadata(tr["metadata"])
        if "description" in ctx.params:
            previous["description"] = tr["description"]
            tr["description"] = ctx.params.string("description")
        if previous:
            self.emit(ctx, "transfer.updated", tr, previous=previous)
        return self.render(tr)

    def reversal_create(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"amount", "metadata", "description", "refund_application_fee"})
        tr = self.owned(ctx, "transfer", oid)
        remaining = tr["amount"] - tr["amount_reversed"]
        if remaining <= 0:
            raise StripeError.state(
                f"Transfer {oid} has already been fully reversed.",
                code=None,
                param="amount",
            )
        amount = p.integer("amount", minimum=1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise StripeError.state(
                f"You have requested a transfer reversal of {amount} {tr['currency']} but only "
                f"{remaining} {tr['currency']} remains unreversed on this transfer.",
                code="amount_too_large",
                param="amount",
            )
        destination = tr["destination"]
        if self.available(destination, tr["currency"]) < amount:
            raise StripeError.state(
                f"Insufficient funds in the destination account {destination} to reverse "
                f"{amount} {tr['currency']}.",
                code="balance_insufficient",
                param="amount",
            )
        reversal = builders.transfer_reversal(
            created=self.store.now(), amount=amount, transfer=tr, metadata=p.metadata()
        )
        self.store.add(reversal)
        txn = self.post_txn(
            PLATFORM,
            amount=amount,
            currency=tr["currency"],
            txn_type="transfer_refund",
            source=reversal["id"],
            reporting_category="transfer_reversal",
        )
        reversal["balance_transaction"] = txn["id"]
        payment = self.store.get_typed("charge", tr["destination_payment"] or "")
        if payment is not None:
            pyr = builders.refund(
                created=self.store.now(), amount=amount, charge=payment, reason=None, metadata={}
            )
            pyr["id"] = new_id("pyr_")
            pyr["destination_details"] = None
            pyr["source_transfer_reversal"] = reversal["id"]
            self.store.add(pyr, owner=destination)
            dest_txn = self.post_txn(
                destination,
                amount=-amount,
                currency=tr["currency"],
                txn_type="payment_refund",
                source=pyr["id"],
                reporting_category="refund",
            )
            pyr["balance_transaction"] = dest_txn["id"]
            payment["amount_refunded"] += amount
            payment["refunded"] = payment["amount_refunded"] >= payment["amount"]
            reversal["destination_payment_refund"] = pyr["id"]
        previous = {"amount_reversed": tr["amount_reversed"], "reversed": tr["reversed"]}
        tr["amount_reversed"] += amount
        tr["reversed"] = tr["amount_reversed"] >= tr["amount"]
        self.emit(ctx, "transfer.reversed", tr, previous=previous)
        self.emit(ctx, "transfer.updated", tr, previous=previous)
        return self.render(reversal)

    def reversal_list(self, ctx: Context, oid: str) -> dict[str, Any]:
        self.owned(ctx, "transfer", oid)
        items = [r for r in self.store.all("transfer_reversal") if r["transfer"] == oid]
        return self.list_response(ctx, f"/v1/transfers/{oid}/reversals", items)

    def _reversal(self, ctx: Context, oid: str, rid: str) -> dict[str, Any]:
        self.owned(ctx, "transfer", oid)
        reversal = self.store.get_typed("transfer_reversal", rid)
        if reversal is None or reversal["transfer"] != oid:
            raise StripeError.not_found("transfer_reversal", rid)
        return reversal

    def reversal_retrieve(self, ctx: Context, oid: str, rid: str) -> dict[str, Any]:
        return self.render(self._reversal(ctx, oid, rid))

    def reversal_update(self, ctx: Context, oid: str, rid: str) -> dict[str, Any]:
        ctx.params.check_known({"metadata"})
        reversal = self._reversal(ctx, oid, rid)
        reversal["metadata"] = ctx.params.metadata(reversal["metadata"])
        return self.render(reversal)
