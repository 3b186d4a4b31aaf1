"""The balance and its balance transactions."""

from __future__ import annotations

from typing import Any

from .. import builders
from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("GET", r"/v1/balance", "balance_retrieve"),
    ("GET", r"/v1/balance_transactions", "balance_transaction_list"),
    ("GET", r"/v1/balance_transactions/(?P<oid>[^/]+)", "balance_transaction_retrieve"),
)


class BalanceResource(ResourceBase):
    """`/v1/balance` and `/v1/balance_transactions`."""

    def balance_retrieve(self, ctx: Context) -> dict[str, Any]:
        available: dict[str, int] = {}
        pending: dict[str, int] = {}
        for txn in self.store.all("balance_transaction", owner=ctx.account):
            bucket = available if txn["status"] == "available" else pending
            bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
        for cur in list(available):
            pending.setdefault(cur, 0)
        for cur in list(pending):
            available.setdefault(cur, 0)
        return builders.balance(available, pending, self.account_default_currency(ctx.account))

    def balance_transaction_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("balance_transaction", owner=ctx.account)
        for name in ("type", "source", "currency"):
            value = ctx.params.string(name)
            if value:
                items = [t for t in items if t[name] == value]
        payout = ctx.params.string("payout")
        if payout:
            wanted = set(self.store.meta(payout).get("txns", []))
            items = [t for t in items if t["id"] in wanted]
        return self.list_response(ctx, "/v1/balance_transactions", items)

    def balance_transaction_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "balance_transaction", oid))
