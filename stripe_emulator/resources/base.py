"""What every resource shares: the request context, rendering, lists, expansion, events, ledger."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import builders
from ..errors import StripeError
from ..forms import Params
from ..state import PLATFORM, Store
from ..webhooks import WebhookDispatcher

DEFAULT_API_VERSION = "2026-10-28.endive"


@dataclass
class Context:
    """One API request as the handlers see it."""

    account: str
    params: Params
    base_url: str
    request_id: str | None
    idempotency_key: str | None
    api_version: str
    after: list[Callable[[], object]] = field(default_factory=list)
    # Multipart uploads (`/v1/files`): part name -> (filename, declared content type, bytes).
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)

    @property
    def is_platform(self) -> bool:
        return self.account == PLATFORM


# (method, path pattern, name of the handler method on the composed API)
Route = tuple[str, str, str]


class ResourceBase:
    """The helpers every resource uses. Every public method runs with `store.lock` held."""

    def __init__(self, store: Store, dispatcher: WebhookDispatcher) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.settings: dict[str, Any] = {"payouts_auto_paid": True}

    def render(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A copy of a stored object with its embedded lists filled in."""
        out = copy.deepcopy(obj)
        kind = out.get("object")
        if kind == "charge":
            refunds = [r for r in self.store.all("refund") if r["charge"] == out["id"]]
            out["refunds"] = self._embedded_list(out["refunds"]["url"], refunds)
        elif kind == "transfer":
            reversals = [
                r for r in self.store.all("transfer_reversal") if r["transfer"] == out["id"]
            ]
            out["reversals"] = self._embedded_list(out["reversals"]["url"], reversals)
        elif kind == "account":
            banks = self.store.meta(out["id"]).get("external_accounts", [])
            out["external_accounts"] = self._embedded_list(
                out["external_accounts"]["url"], [copy.deepcopy(b) for b in banks]
            )
        return out

    def _embedded_list(self, url: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        newest = list(reversed(items))
        return {
            "object": "list",
            "data": [copy.deepcopy(i) for i in newest[:10]],
            "has_more": len(newest) > 10,
            "url": url,
        }

    def emit(
        self,
        ctx: Context | None,
        event_type: str,
        obj: dict[str, Any],
        *,
        account: str = PLATFORM,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event about `obj` (seen by `account`) and queue its webhook delivery."""
        connect = account != PLATFORM
        event = builders.event(
            created=self.store.now(),
            event_type=event_type,
            obj=self.render(obj),
            previous_attributes=copy.deepcopy(previous) if previous else None,
            account=account if connect else None,
            api_version=ctx.api_version if ctx else DEFAULT_API_VERSION,
            request_id=ctx.request_id if ctx else None,
            idempotency_key=ctx.idempotency_key if ctx else None,
            pending_webhooks=1 if self.dispatcher.target_for({"account": connect}) else 0,
        )
        self.store.add(event, owner=account)
        self.dispatcher.enqueue(copy.deepcopy(event))
        return event

    def owned(
        self, ctx: Context, kind: str, object_id: str, label: str | None = None
    ) -> dict[str, Any]:
        obj = self.store.get_typed(kind, object_id)
        if obj is None or self.store.owner(object_id) != ctx.account:
            raise StripeError.not_found(label or kind, object_id)
        return obj

    def list_response(self, ctx: Context, url: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        params = ctx.params
        limit = params.integer("limit", minimum=1)
        if limit is None:
            limit = 10
        if limit > 100:
            raise StripeError.invalid(
                "This value must be less than or equal to 100.",
                param="limit",
                code="parameter_invalid_integer",
            )
        items = self._filter_created(params, items)
        newest = list(reversed(items))
        ids = [o["id"] for o in newest]
        after = params.string("starting_after")
        before = params.string("ending_before")
        if after:
            if after not in ids:
                raise StripeError.not_found("object", after, param="starting_after")
            start = ids.index(after) + 1
            page = newest[start : start + limit]
            has_more = start + limit < len(newest)
        elif before:
            if before not in ids:
                raise StripeError.not_found("object", before, param="ending_before")
            end = ids.index(before)
            start = max(0, end - limit)
            page = newest[start:end]
            has_more = start > 0
        else:
            page = newest[:limit]
            has_more = len(newest) > limit
        return {
            "object": "list",
            "data": [self.render(o) for o in page],
            "has_more": has_more,
            "url": url,
        }

    def _filter_created(self, params: Params, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        created = params.raw("created")
        if created is None or created == "":
            return items
        bounds: dict[str, int] = {}
        if isinstance(created, str):
            bounds["eq"] = as_int(created, "created")
        elif isinstance(created, dict):
            for op, value in created.items():
                if op not in ("gt", "gte", "lt", "lte"):
                    raise StripeError.invalid(f"Invalid created filter: {op}", param="created")
                bounds[op] = as_int(value, f"created[{op}]")
        checks: dict[str, Callable[[int, int], bool]] = {
            "eq": lambda a, b: a == b,
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }
        return [o for o in items if all(checks[op](o["created"], v) for op, v in bounds.items())]

    def expand(self, ctx: Context, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        for path in paths:
            self._expand_path(ctx, body, path.split("."), path)
        return body

    def _expand_path(self, ctx: Context, node: Any, parts: list[str], full: str) -> None:
        if not parts:
            return
        if isinstance(node, list):
            for item in node:
                self._expand_path(ctx, item, parts, full)
            return
        if not isinstance(node, dict):
            return
        key = parts[0]
        if key not in node:
            raise StripeError.invalid(f"This property cannot be expanded ({full}).", param="expand")
        value = node[key]
        if isinstance(value, str):
            target = self.store.get(value)
            if target is not None:
                node[key] = self.render(target)
        self._expand_path(ctx, node[key], parts[1:], full)

    def _account_exists(self, account_id: str) -> bool:
        return self.store.get_typed("account", account_id) is not None

    def account_default_currency(self, account: str) -> str:
        if account == PLATFORM:
            return "usd"
        acct = self.store.get_typed("account", account)
        return acct["default_currency"] if acct else "usd"

    # -- ledger -------------------------------------------------------------------------------
    def post_txn(
        self,
        account: str,
        *,
        amount: int,
        currency: str,
        txn_type: str,
        source: str | None,
        description: str | None = None,
        fee: int = 0,
        fee_details: list[dict[str, Any]] | None = None,
        reporting_category: str | None = None,
    ) -> dict[str, Any]:
        txn = builders.balance_transaction(
            created=self.store.now(),
            amount=amount,
            currency=currency,
            description=description,
            fee=fee,
            fee_details=fee_details or [],
            source=source,
            txn_type=txn_type,
            reporting_category=reporting_category or txn_type,
        )
        return self.store.add(txn, owner=account)

    def available(self, account: str, currency: str) -> int:
        return sum(
            t["net"]
            for t in self.store.all("balance_transaction", owner=account)
            if t["currency"] == currency and t["status"] == "available"
        )


def as_int(value: Any, param: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeError.invalid(
            f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
        )
    return int(value)
