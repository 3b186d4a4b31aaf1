"""Stripe's `/v1` REST API over the emulator's store: routing, resources and money movement."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from . import builders
from .cards import CardProfile, card_for_magic_id, card_for_number
from .errors import StripeError
from .forms import Params
from .state import PLATFORM, Store, new_id
from .webhooks import WebhookDispatcher

DEFAULT_API_VERSION = "2026-10-28.endive"
DISPUTE_FEE = 1500
DISPUTE_RESPONSE_DAYS = 7
ACCOUNT_LINK_TTL = 300
MIN_CHARGE_AMOUNT = 50

_COUNTRY_CURRENCY = {
    "US": "usd",
    "GB": "gbp",
    "CA": "cad",
    "AU": "aud",
    "CH": "chf",
    "JP": "jpy",
    "SE": "sek",
    "DK": "dkk",
    "NO": "nok",
    "PL": "pln",
}
_PROFILE_FIELDS = frozenset(
    {"name", "url", "mcc", "product_description", "support_email", "support_phone"}
)
_EURO_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "CY",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PT",
        "SI",
        "SK",
    ]
)


def stripe_fee(amount: int) -> int:
    """Stripe's card fee: 2.9% (rounded half up) + 30 minor units."""
    return (amount * 29 + 500) // 1000 + 30


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

    @property
    def is_platform(self) -> bool:
        return self.account == PLATFORM


Handler = Callable[..., dict[str, Any]]


class StripeApi:
    """Resource handlers. Every public method runs with `store.lock` held by the caller."""

    def __init__(self, store: Store, dispatcher: WebhookDispatcher) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.settings: dict[str, Any] = {"payouts_auto_paid": True}
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        r = self._route
        r("POST", r"/v1/accounts", self.account_create)
        r("GET", r"/v1/accounts", self.account_list)
        r("GET", r"/v1/account", self.account_current)
        r("GET", r"/v1/accounts/(?P<oid>[^/]+)", self.account_retrieve)
        r("POST", r"/v1/accounts/(?P<oid>[^/]+)", self.account_update)
        r("DELETE", r"/v1/accounts/(?P<oid>[^/]+)", self.account_delete)
        r("POST", r"/v1/accounts/(?P<oid>[^/]+)/login_links", self.login_link_create)
        r("POST", r"/v1/account_links", self.account_link_create)
        r("POST", r"/v1/customers", self.customer_create)
        r("GET", r"/v1/customers", self.customer_list)
        r("GET", r"/v1/customers/(?P<oid>[^/]+)", self.customer_retrieve)
        r("POST", r"/v1/customers/(?P<oid>[^/]+)", self.customer_update)
        r("DELETE", r"/v1/customers/(?P<oid>[^/]+)", self.customer_delete)
        r("GET", r"/v1/customers/(?P<oid>[^/]+)/payment_methods", self.customer_payment_methods)
        r("POST", r"/v1/payment_methods", self.payment_method_create)
        r("GET", r"/v1/payment_methods", self.payment_method_list)
        r("GET", r"/v1/payment_methods/(?P<oid>[^/]+)", self.payment_method_retrieve)
        r("POST", r"/v1/payment_methods/(?P<oid>[^/]+)", self.payment_method_update)
        r("POST", r"/v1/payment_methods/(?P<oid>[^/]+)/attach", self.payment_method_attach)
        r("POST", r"/v1/payment_methods/(?P<oid>[^/]+)/detach", self.payment_method_detach)
        r("POST", r"/v1/payment_intents", self.payment_intent_create)
        r("GET", r"/v1/payment_intents", self.payment_intent_list)
        r("GET", r"/v1/payment_intents/(?P<oid>[^/]+)", self.payment_intent_retrieve)
        r("POST", r"/v1/payment_intents/(?P<oid>[^/]+)", self.payment_intent_update)
        r("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/confirm", self.payment_intent_confirm)
        r("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/capture", self.payment_intent_capture)
        r("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/cancel", self.payment_intent_cancel)
        r("GET", r"/v1/charges", self.charge_list)
        r("GET", r"/v1/charges/(?P<oid>[^/]+)", self.charge_retrieve)
        r("POST", r"/v1/charges/(?P<oid>[^/]+)", self.charge_update)
        r("GET", r"/v1/charges/(?P<oid>[^/]+)/refunds", self.charge_refund_list)
        r("POST", r"/v1/refunds", self.refund_create)
        r("GET", r"/v1/refunds", self.refund_list)
        r("GET", r"/v1/refunds/(?P<oid>[^/]+)", self.refund_retrieve)
        r("POST", r"/v1/refunds/(?P<oid>[^/]+)", self.refund_update)
        r("POST", r"/v1/refunds/(?P<oid>[^/]+)/cancel", self.refund_cancel)
        r("GET", r"/v1/balance", self.balance_retrieve)
        r("GET", r"/v1/balance_transactions", self.balance_transaction_list)
        r("GET", r"/v1/balance_transactions/(?P<oid>[^/]+)", self.balance_transaction_retrieve)
        r("POST", r"/v1/transfers", self.transfer_create)
        r("GET", r"/v1/transfers", self.transfer_list)
        r("GET", r"/v1/transfers/(?P<oid>[^/]+)", self.transfer_retrieve)
        r("POST", r"/v1/transfers/(?P<oid>[^/]+)", self.transfer_update)
        r("POST", r"/v1/transfers/(?P<oid>[^/]+)/reversals", self.reversal_create)
        r("GET", r"/v1/transfers/(?P<oid>[^/]+)/reversals", self.reversal_list)
        r("GET", r"/v1/transfers/(?P<oid>[^/]+)/reversals/(?P<rid>[^/]+)", self.reversal_retrieve)
        r("POST", r"/v1/transfers/(?P<oid>[^/]+)/reversals/(?P<rid>[^/]+)", self.reversal_update)
        r("POST", r"/v1/payouts", self.payout_create)
        r("GET", r"/v1/payouts", self.payout_list)
        r("GET", r"/v1/payouts/(?P<oid>[^/]+)", self.payout_retrieve)
        r("POST", r"/v1/payouts/(?P<oid>[^/]+)", self.payout_update)
        r("POST", r"/v1/payouts/(?P<oid>[^/]+)/cancel", self.payout_cancel)
        r("GET", r"/v1/disputes", self.dispute_list)
        r("GET", r"/v1/disputes/(?P<oid>[^/]+)", self.dispute_retrieve)
        r("POST", r"/v1/disputes/(?P<oid>[^/]+)", self.dispute_update)
        r("POST", r"/v1/disputes/(?P<oid>[^/]+)/close", self.dispute_close_api)
        r("GET", r"/v1/events", self.event_list)
        r("GET", r"/v1/events/(?P<oid>[^/]+)", self.event_retrieve)

    def _route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"/?\Z"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler for a request; raises 404/405-like Stripe errors for unknown routes."""
        known_path = False
        for route_method, pattern, handler in self.routes:
            found = pattern.match(path)
            if found:
                known_path = True
                if route_method == method:
                    return handler, found.groupdict()
        if known_path:
            raise StripeError(
                405 if method not in ("GET", "POST", "DELETE") else 400,
                "invalid_request_error",
                f"Unrecognized request URL ({method}: {path}).",
            )
        return None

    # =========================================================================================
    # helpers
    # =========================================================================================
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
            bounds["eq"] = _as_int(created, "created")
        elif isinstance(created, dict):
            for op, value in created.items():
                if op not in ("gt", "gte", "lt", "lte"):
                    raise StripeError.invalid(f"Invalid created filter: {op}", param="created")
                bounds[op] = _as_int(value, f"created[{op}]")
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

    # =========================================================================================
    # accounts and onboarding
    # =========================================================================================
    _ACCOUNT_CREATE = frozenset(
        {
            "type", "country", "email", "business_type", "capabilities", "metadata",
            "business_profile", "controller", "default_currency", "tos_acceptance",
            "settings", "individual", "company", "external_account",
        }
    )  # fmt: skip

    def account_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(self._ACCOUNT_CREATE)
        if not ctx.is_platform:
            raise StripeError.invalid("Connected accounts cannot create accounts.")
        controller = p.mapping("controller")
        account_type = p.choice("type", ("express", "standard", "custom"))
        if account_type is None:
            if controller is None:
                raise StripeError.missing("type")
            account_type = "express"
        country = (p.string("country") or "US").upper()
        currency = p.currency("default_currency", required=False) or _COUNTRY_CURRENCY.get(
            country, "eur" if country in _EURO_COUNTRIES else "usd"
        )
        requested = p.mapping("capabilities") or {
            "card_payments": {"requested": "true"},
            "transfers": {"requested": "true"},
        }
        capabilities = {}
        for name, spec in requested.items():
            if isinstance(spec, dict) and spec.get("requested") in ("true", True):
                capabilities[name] = "inactive"
        profile = p.mapping("business_profile") or {}
        acct = builders.account(
            account_id=new_id("acct_", 16),
            created=self.store.now(),
            account_type=account_type,
            country=country,
            email=p.string("email"),
            business_type=p.choice(
                "business_type", ("individual", "company", "non_profit", "government_entity")
            ),
            default_currency=currency,
            capabilities=capabilities,
            metadata=p.metadata(),
            business_profile={k: v for k, v in profile.items() if k in _PROFILE_FIELDS},
        )
        self.store.add(acct)
        return self.render(acct)

    def account_list(self, ctx: Context) -> dict[str, Any]:
        if not ctx.is_platform:
            return self.list_response(ctx, "/v1/accounts", [])
        return self.list_response(ctx, "/v1/accounts", self.store.all("account"))

    def account_current(self, ctx: Context) -> dict[str, Any]:
        if ctx.is_platform:
            platform = builders.account(
                account_id=self.store.platform_account_id,
                created=0,
                account_type="standard",
                country="US",
                email="platform@emulator.invalid",
                business_type="company",
                default_currency="usd",
                capabilities={"card_payments": "active", "transfers": "active"},
                metadata={},
                business_profile={"name": "Emulated platform"},
            )
            platform.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
            platform["requirements"] = builders.requirements([], None)
            return platform
        return self.render(self.store.get_typed("account", ctx.account) or {})

    def _account_visible(self, ctx: Context, oid: str) -> dict[str, Any]:
        acct = self.store.get_typed("account", oid)
        if acct is None or not (ctx.is_platform or ctx.account == oid):
            raise StripeError.not_found("account", oid, param="account")
        return acct

    def account_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self._account_visible(ctx, oid))

    def account_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(self._ACCOUNT_CREATE - {"type", "country", "controller"})
        acct = self._account_visible(ctx, oid)
        previous: dict[str, Any] = {}
        if "metadata" in p:
            previous["metadata"] = dict(acct["metadata"])
            acct["metadata"] = p.metadata(acct["metadata"])
        if "email" in p:
            previous["email"] = acct["email"]
            acct["email"] = p.string("email")
        if "business_type" in p:
            previous["business_type"] = acct["business_type"]
            acct["business_type"] = p.string("business_type")
        profile = p.mapping("business_profile")
        if profile:
            previous["business_profile"] = copy.deepcopy(acct["business_profile"])
            for key, value in profile.items():
                if key in acct["business_profile"] and isinstance(value, str):
                    acct["business_profile"][key] = value or None
        if previous:
            self.emit(ctx, "account.updated", acct, account=oid, previous=previous)
        return self.render(acct)

    def account_delete(self, ctx: Context, oid: str) -> dict[str, Any]:
        self._account_visible(ctx, oid)
        if not ctx.is_platform:
            raise StripeError.invalid("Only the platform can delete connected accounts.")
        self.store.remove(oid)
        return {"id": oid, "object": "account", "deleted": True}

    def complete_onboarding(self, ctx: Context | None, oid: str) -> dict[str, Any]:
        acct = self.store.get_typed("account", oid)
        if acct is None:
            raise StripeError.not_found("account", oid)
        if acct["details_submitted"] and acct["charges_enabled"]:
            return self.render(acct)
        previous = {
            "charges_enabled": acct["charges_enabled"],
            "payouts_enabled": acct["payouts_enabled"],
            "details_submitted": acct["details_submitted"],
            "capabilities": dict(acct["capabilities"]),
            "requirements": copy.deepcopy(acct["requirements"]),
        }
        acct["charges_enabled"] = True
        acct["payouts_enabled"] = True
        acct["details_submitted"] = True
        acct["capabilities"] = dict.fromkeys(acct["capabilities"], "active") or {
            "transfers": "active"
        }
        acct["requirements"] = builders.requirements([], None)
        acct["tos_acceptance"] = {
            "date": self.store.now(),
            "ip": "127.0.0.1",
            "user_agent": "emulator",
        }
        if not acct["business_profile"].get("url"):
            acct["business_profile"]["url"] = "https://vendor.example.com"
        meta = self.store.meta(oid)
        if not meta.get("external_accounts"):
            meta["external_accounts"] = [
                builders.bank_account(
                    currency=acct["default_currency"],
                    country=acct["country"],
                    holder=acct["business_profile"].get("name"),
                )
            ]
        self.emit(ctx, "account.updated", acct, account=oid, previous=previous)
        return self.render(acct)

    def account_link_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"account", "type", "refresh_url", "return_url", "collect", "collection_options"}
        )
        oid = p.string("account", required=True) or ""
        p.choice("type", ("account_onboarding", "account_update"), required=True)
        acct = self.store.get_typed("account", oid)
        if acct is None or not ctx.is_platform:
            raise StripeError.not_found("account", oid, param="account")
        if acct["type"] == "standard" and p.string("type") == "account_update":
            raise StripeError.invalid(
                "Standard accounts cannot use account_update links.", param="type"
            )
        token = new_id("", 20)
        now = self.store.now()
        links = self.store.meta(oid).setdefault("links", {})
        links[token] = {
            "refresh_url": p.string("refresh_url"),
            "return_url": p.string("return_url"),
            "expires_at": now + ACCOUNT_LINK_TTL,
            "used": False,
        }
        url = f"{ctx.base_url}/_emulator/connect/onboarding/{oid}?link={token}"
        return builders.account_link(created=now, expires_at=now + ACCOUNT_LINK_TTL, url=url)

    def login_link_create(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"redirect_url"})
        acct = self._account_visible(ctx, oid)
        if acct["type"] != "express" or not acct["details_submitted"]:
            raise StripeError.invalid(
                "Cannot create a login link for an account that has not completed onboarding.",
                param="account",
            )
        return builders.login_link(
            created=self.store.now(), url=f"{ctx.base_url}/_emulator/connect/dashboard/{oid}"
        )

    # =========================================================================================
    # customers and payment methods
    # =========================================================================================
    _CUSTOMER_FIELDS = frozenset(
        {"email", "name", "description", "phone", "metadata", "address", "shipping",
         "payment_method", "invoice_settings", "preferred_locales"}
    )  # fmt: skip

    def customer_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(self._CUSTOMER_FIELDS)
        cus = builders.customer(
            created=self.store.now(),
            email=p.string("email"),
            name=p.string("name"),
            description=p.string("description"),
            phone=p.string("phone"),
            metadata=p.metadata(),
        )
        self.store.add(cus, owner=ctx.account)
        pm_id = p.string("payment_method")
        if pm_id:
            pm = self._resolve_payment_method(ctx, pm_id)
            pm["customer"] = cus["id"]
        self.emit(ctx, "customer.created", cus, account=ctx.account)
        return self.render(cus)

    def customer_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("customer", owner=ctx.account)
        email = ctx.params.string("email")
        if email:
            items = [c for c in items if c["email"] == email]
        return self.list_response(ctx, "/v1/customers", items)

    def customer_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        cus = self.store.get_typed("customer", oid)
        if cus is None and self.store.meta(oid).get("deleted"):
            return {"id": oid, "object": "customer", "deleted": True}
        return self.render(self.owned(ctx, "customer", oid))

    def customer_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(self._CUSTOMER_FIELDS)
        cus = self.owned(ctx, "customer", oid)
        previous: dict[str, Any] = {}
        for name in ("email", "name", "description", "phone"):
            if name in p:
                previous[name] = cus[name]
                cus[name] = p.string(name)
        if "metadata" in p:
            previous["metadata"] = dict(cus["metadata"])
            cus["metadata"] = p.metadata(cus["metadata"])
        settings = p.mapping("invoice_settings") or {}
        if "default_payment_method" in settings:
            previous["invoice_settings"] = copy.deepcopy(cus["invoice_settings"])
            cus["invoice_settings"]["default_payment_method"] = (
                settings["default_payment_method"] or None
            )
        if previous:
            self.emit(ctx, "customer.updated", cus, account=ctx.account, previous=previous)
        return self.render(cus)

    def customer_delete(self, ctx: Context, oid: str) -> dict[str, Any]:
        cus = self.owned(ctx, "customer", oid)
        self.emit(ctx, "customer.deleted", cus, account=ctx.account)
        self.store.remove(oid)
        self.store.meta(oid)["deleted"] = True
        return {"id": oid, "object": "customer", "deleted": True}

    def customer_payment_methods(self, ctx: Context, oid: str) -> dict[str, Any]:
        self.owned(ctx, "customer", oid)
        items = [
            pm
            for pm in self.store.all("payment_method", owner=ctx.account)
            if pm["customer"] == oid
        ]
        return self.list_response(ctx, f"/v1/customers/{oid}/payment_methods", items)

    def create_card_payment_method(
        self,
        ctx: Context,
        card: CardProfile,
        *,
        exp_month: int = 12,
        exp_year: int = 2034,
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        pm = builders.payment_method(
            created=self.store.now(),
            card=card,
            exp_month=exp_month,
            exp_year=exp_year,
            billing_details=billing_details,
            metadata=metadata or {},
        )
        return self.store.add(pm, owner=ctx.account, card_number=card.number)

    def payment_method_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"type", "card", "billing_details", "metadata", "customer", "allow_redisplay"}
        )
        p.choice("type", ("card",), required=True)
        card_params = p.mapping("card")
        if card_params is None:
            raise StripeError.missing("card")
        token = card_params.get("token")
        if token:
            card = card_for_magic_id(str(token))
            if card is None:
                raise StripeError.not_found("token", str(token), param="card[token]")
            exp_month, exp_year = 12, 2034
        else:
            number = card_params.get("number")
            if not number:
                raise StripeError.missing("card[number]")
            card = card_for_number(str(number))
            if card is None:
                raise StripeError(
                    402,
                    "card_error",
                    "Your card number is incorrect.",
                    code="incorrect_number",
                    param="card[number]",
                )
            exp_month = _card_int(card_params, "exp_month", 1, 12)
            exp_year = _card_int(card_params, "exp_year", 2000, 2100)
            if exp_year < 100:
                exp_year += 2000
        pm = self.create_card_payment_method(
            ctx,
            card,
            exp_month=exp_month,
            exp_year=exp_year,
            billing_details=p.mapping("billing_details"),
            metadata=p.metadata(),
        )
        return self.render(pm)

    def _resolve_payment_method(self, ctx: Context, ref: str) -> dict[str, Any]:
        magic = card_for_magic_id(ref)
        if magic is not None:
            return self.create_card_payment_method(ctx, magic)
        pm = self.store.get_typed("payment_method", ref)
        if pm is None or self.store.owner(ref) != ctx.account:
            raise StripeError.not_found("PaymentMethod", ref, param="payment_method")
        return pm

    def payment_method_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self._resolve_payment_method(ctx, oid))

    def payment_method_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("payment_method", owner=ctx.account)
        customer = ctx.params.string("customer")
        if customer:
            items = [pm for pm in items if pm["customer"] == customer]
        return self.list_response(ctx, "/v1/payment_methods", items)

    def payment_method_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"metadata", "billing_details", "allow_redisplay"})
        pm = self.owned(ctx, "payment_method", oid, "PaymentMethod")
        pm["metadata"] = ctx.params.metadata(pm["metadata"])
        return self.render(pm)

    def payment_method_attach(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"customer"})
        pm = self._resolve_payment_method(ctx, oid)
        customer = ctx.params.string("customer", required=True) or ""
        self.owned(ctx, "customer", customer)
        pm["customer"] = customer
        self.emit(ctx, "payment_method.attached", pm, account=ctx.account)
        return self.render(pm)

    def payment_method_detach(self, ctx: Context, oid: str) -> dict[str, Any]:
        pm = self.owned(ctx, "payment_method", oid, "PaymentMethod")
        if not pm["customer"]:
            raise StripeError.state(
                "The payment method you provided is not attached to a customer so detachment is "
                "impossible.",
                code="payment_method_unexpected_state",
            )
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        self.emit(ctx, "payment_method.detached", pm, account=ctx.account, previous=previous)
        return self.render(pm)

    # =========================================================================================
    # payment intents and charges
    # =========================================================================================
    _PI_FIELDS = frozenset(
        {
            "amount", "currency", "customer", "payment_method", "confirm", "capture_method",
            "transfer_group", "metadata", "return_url", "description", "receipt_email",
            "statement_descriptor", "statement_descriptor_suffix", "payment_method_types",
            "automatic_payment_methods", "setup_future_usage", "application_fee_amount",
            "on_behalf_of", "transfer_data", "off_session", "confirmation_method", "shipping",
            "error_on_requires_action", "use_stripe_sdk", "payment_method_options",
            "payment_method_data", "mandate_data", "radar_options", "excluded_payment_method_types",
        }
    )  # fmt: skip

    def payment_intent_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known(self._PI_FIELDS)
        amount = p.integer("amount", required=True) or 0
        currency = p.currency() or "usd"
        if amount < MIN_CHARGE_AMOUNT:
            raise StripeError.invalid(
                f"Amount must be at least {MIN_CHARGE_AMOUNT} {currency}",
                param="amount",
                code="amount_too_small",
            )
        customer = p.string("customer")
        if customer:
            self.owned(ctx, "customer", customer)
        transfer_data = p.mapping("transfer_data")
        if transfer_data is not None:
            destination = str(transfer_data.get("destination", ""))
            if not self._account_exists(destination):
                raise StripeError.not_found(
                    "account", destination, param="transfer_data[destination]"
                )
            transfer_data = {"destination": destination}
        pmt = p.raw("payment_method_types")
        pi = builders.payment_intent(
            pi_id=new_id("pi_"),
            created=self.store.now(),
            amount=amount,
            currency=currency,
            capture_method=p.choice(
                "capture_method",
                ("automatic", "automatic_async", "manual"),
                default="automatic_async",
            )
            or "automatic_async",
            customer=customer,
            description=p.string("description"),
            metadata=p.metadata(),
            transfer_group=p.string("transfer_group"),
            receipt_email=p.string("receipt_email"),
            statement_descriptor=p.string("statement_descriptor"),
            application_fee_amount=p.integer("application_fee_amount", minimum=0),
            on_behalf_of=p.string("on_behalf_of"),
            transfer_data=transfer_data,
            payment_method_types=pmt if isinstance(pmt, list) else ["card"],
        )
        automatic = p.mapping("automatic_payment_methods")
        if automatic is not None:
            pi["automatic_payment_methods"] = {
                "allow_redirects": automatic.get("allow_redirects", "always"),
                "enabled": automatic.get("enabled") == "true",
            }
        self.store.add(pi, owner=ctx.account)
        pm_ref = p.string("payment_method")
        if pm_ref:
            pm = self._resolve_payment_method(ctx, pm_ref)
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        self.emit(ctx, "payment_intent.created", pi, account=ctx.account)
        if p.boolean("confirm"):
            self.confirm(ctx, pi, return_url=p.string("return_url"))
        return self.render(pi)

    def payment_intent_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("payment_intent", owner=ctx.account)
        customer = ctx.params.string("customer")
        if customer:
            items = [pi for pi in items if pi["customer"] == customer]
        return self.list_response(ctx, "/v1/payment_intents", items)

    def payment_intent_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        ctx.params.check_known({"client_secret"})
        return self.render(self.owned(ctx, "payment_intent", oid))

    def payment_intent_update(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"amount", "currency", "customer", "description", "metadata", "payment_method",
             "receipt_email", "transfer_group", "statement_descriptor", "shipping",
             "setup_future_usage", "application_fee_amount", "capture_method"}
        )  # fmt: skip
        pi = self.owned(ctx, "payment_intent", oid)
        changing_money = any(k in p for k in ("amount", "currency", "payment_method"))
        if changing_money and pi["status"] not in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            raise StripeError.state(
                f"This PaymentIntent's amount could not be updated because it has a status of "
                f"{pi['status']}.",
                code="payment_intent_unexpected_state",
            )
        previous: dict[str, Any] = {}
        if "amount" in p:
            amount = p.integer("amount", minimum=MIN_CHARGE_AMOUNT) or pi["amount"]
            previous["amount"] = pi["amount"]
            pi["amount"] = amount
        if "currency" in p:
            previous["currency"] = pi["currency"]
            pi["currency"] = p.currency()
        for name in ("description", "receipt_email", "transfer_group", "statement_descriptor"):
            if name in p:
                previous[name] = pi[name]
                pi[name] = p.string(name)
        if "customer" in p:
            customer = p.string("customer")
            if customer:
                self.owned(ctx, "customer", customer)
            previous["customer"] = pi["customer"]
            pi["customer"] = customer
        if "metadata" in p:
            previous["metadata"] = dict(pi["metadata"])
            pi["metadata"] = p.metadata(pi["metadata"])
        if "payment_method" in p:
            pm = self._resolve_payment_method(ctx, p.string("payment_method", required=True) or "")
            previous["payment_method"] = pi["payment_method"]
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        if previous:
            self.emit(ctx, "payment_intent.updated", pi, account=ctx.account, previous=previous)
        return self.render(pi)

    def payment_intent_confirm(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"payment_method", "return_url", "client_secret", "off_session", "use_stripe_sdk",
             "payment_method_options", "mandate_data", "error_on_requires_action",
             "receipt_email", "setup_future_usage", "shipping", "capture_method",
             "payment_method_data", "payment_method_types"}
        )  # fmt: skip
        pi = self.owned(ctx, "payment_intent", oid)
        pm_ref = p.string("payment_method")
        if pm_ref:
            self._require_confirmable(pi)
            pm = self._resolve_payment_method(ctx, pm_ref)
            pi["payment_method"] = pm["id"]
        self.confirm(ctx, pi, return_url=p.string("return_url"))
        return self.render(pi)

    def _require_confirmable(self, pi: dict[str, Any]) -> None:
        if pi["status"] not in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            raise StripeError.state(
                f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}.",
                code="payment_intent_unexpected_state",
            )

    def confirm(self, ctx: Context, pi: dict[str, Any], *, return_url: str | None) -> None:
        """Run a confirmation. Raises a 402 card error (after recording it) on decline."""
        self._require_confirmable(pi)
        if not pi["payment_method"]:
            raise StripeError.state(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with cus_xxx, specify a payment method attached "
                "to this customer along with the customer ID.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        pm = self.store.get_typed("payment_method", pi["payment_method"])
        assert pm is not None
        card = card_for_number(self.store.meta(pm["id"]).get("card_number", "4242424242424242"))
        assert card is not None
        meta = self.store.meta(pi["id"])
        if return_url:
            meta["return_url"] = return_url
        if card.behavior == "authenticate" and meta.get("authenticated") != pm["id"]:
            previous = {"status": pi["status"], "next_action": pi["next_action"]}
            pi["status"] = "requires_action"
            query = urlencode({"client_secret": pi["client_secret"]})
            pi["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": meta.get("return_url"),
                    "url": f"{ctx.base_url}/_emulator/3ds/{pi['id']}?{query}",
                },
            }
            self.emit(
                ctx, "payment_intent.requires_action", pi, account=ctx.account, previous=previous
            )
            return
        pi["next_action"] = None
        if card.behavior == "decline":
            self._decline(ctx, pi, pm, card)
        self._succeed(ctx, pi, pm, card)

    def _decline(
        self, ctx: Context, pi: dict[str, Any], pm: dict[str, Any], card: CardProfile
    ) -> None:
        ch = builders.charge(
            charge_id=new_id("ch_"),
            created=self.store.now(),
            amount=pi["amount"],
            currency=pi["currency"],
            pi=pi,
            pm=pm,
            status="failed",
            captured=False,
            outcome=builders.outcome(approved=False, reason=card.decline_code),
            failure_code=card.error_code,
            failure_message=card.message,
        )
        self.store.add(ch, owner=ctx.account)
        self.emit(ctx, "charge.failed", ch, account=ctx.account)
        error = StripeError(
            402,
            "card_error",
            card.message or "Your card was declined.",
            code=card.error_code,
            decline_code=card.decline_code,
            replayable=True,
        )
        previous = {"status": pi["status"], "last_payment_error": pi["last_payment_error"]}
        last_error = error.body()["error"]
        last_error["charge"] = ch["id"]
        last_error["payment_method"] = self.render(pm)
        pi["last_payment_error"] = last_error
        pi["latest_charge"] = ch["id"]
        pi["payment_method"] = None
        pi["status"] = "requires_payment_method"
        self.emit(ctx, "payment_intent.payment_failed", pi, account=ctx.account, previous=previous)
        error.extra = {"charge": ch["id"], "payment_intent": self.render(pi)}
        error.extra["payment_method"] = self.render(pm)
        raise error

    def fail_authentication(self, ctx: Context, pi: dict[str, Any]) -> None:
        previous = {"status": pi["status"], "next_action": pi["next_action"]}
        pm = self.store.get_typed("payment_method", pi["payment_method"] or "")
        pi["status"] = "requires_payment_method"
        pi["next_action"] = None
        pi["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method_data or a new PaymentMethod to attempt to fulfill this "
            "PaymentIntent again.",
            "payment_method": self.render(pm) if pm else None,
            "type": "invalid_request_error",
        }
        pi["payment_method"] = None
        self.emit(ctx, "payment_intent.payment_failed", pi, account=ctx.account, previous=previous)

    def _succeed(
        self, ctx: Context, pi: dict[str, Any], pm: dict[str, Any], card: CardProfile
    ) -> None:
        manual = pi["capture_method"] == "manual"
        ch = builders.charge(
            charge_id=new_id("ch_"),
            created=self.store.now(),
            amount=pi["amount"],
            currency=pi["currency"],
            pi=pi,
            pm=pm,
            status="succeeded",
            captured=not manual,
            outcome=builders.outcome(approved=True),
        )
        self.store.add(ch, owner=ctx.account, dispute_on_capture=card.behavior == "dispute")
        previous = {"status": pi["status"], "latest_charge": pi["latest_charge"]}
        pi["latest_charge"] = ch["id"]
        pi["last_payment_error"] = None
        if manual:
            pi["status"] = "requires_capture"
            pi["amount_capturable"] = pi["amount"]
            self.emit(ctx, "charge.succeeded", ch, account=ctx.account)
            self.emit(
                ctx,
                "payment_intent.amount_capturable_updated",
                pi,
                account=ctx.account,
                previous={**previous, "amount_capturable": 0},
            )
            return
        self._settle_charge(ctx, ch)
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        self.emit(ctx, "charge.succeeded", ch, account=ctx.account)
        self.emit(
            ctx,
            "payment_intent.succeeded",
            pi,
            account=ctx.account,
            previous={**previous, "amount_received": 0},
        )
        self._maybe_dispute(ctx, ch)

    def _settle_charge(self, ctx: Context, ch: dict[str, Any]) -> None:
        """Book a captured charge in the balance with Stripe's fee."""
        amount = ch["amount_captured"] or ch["amount"]
        fee = stripe_fee(amount)
        txn = self.post_txn(
            ctx.account,
            amount=amount,
            currency=ch["currency"],
            txn_type="charge",
            source=ch["id"],
            description=ch["description"],
            fee=fee,
            fee_details=[
                builders.fee_detail(fee, ch["currency"], "Stripe processing fees", "stripe_fee")
            ],
            reporting_category="charge",
        )
        ch["balance_transaction"] = txn["id"]

    def _maybe_dispute(self, ctx: Context, ch: dict[str, Any]) -> None:
        if self.store.meta(ch["id"]).get("dispute_on_capture"):
            account = ctx.account
            ctx.after.append(lambda: self.open_dispute(ctx, ch, account=account))

    def payment_intent_capture(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known(
            {"amount_to_capture", "metadata", "application_fee_amount", "statement_descriptor",
             "statement_descriptor_suffix", "final_capture"}
        )  # fmt: skip
        pi = self.owned(ctx, "payment_intent", oid)
        if pi["status"] != "requires_capture":
            raise StripeError.state(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                f"captured: requires_capture.",
                code="payment_intent_unexpected_state",
            )
        amount = p.integer("amount_to_capture", minimum=1)
        if amount is None:
            amount = pi["amount_capturable"]
        if amount > pi["amount_capturable"]:
            raise StripeError.invalid(
                f"The amount to capture ({amount}) is greater than the amount capturable "
                f"({pi['amount_capturable']}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
        ch = self.store.get_typed("charge", pi["latest_charge"])
        assert ch is not None
        pi["metadata"] = p.metadata(pi["metadata"])
        previous_ch = {"captured": False, "amount_captured": 0, "balance_transaction": None}
        ch["captured"] = True
        ch["amount_captured"] = amount
        self._settle_charge(ctx, ch)
        previous_pi = {"status": pi["status"], "amount_capturable": pi["amount_capturable"],
                       "amount_received": pi["amount_received"]}  # fmt: skip
        pi["status"] = "succeeded"
        pi["amount_capturable"] = 0
        pi["amount_received"] = amount
        self.emit(ctx, "charge.captured", ch, account=ctx.account, previous=previous_ch)
        self.emit(ctx, "payment_intent.succeeded", pi, account=ctx.account, previous=previous_pi)
        self._maybe_dispute(ctx, ch)
        return self.render(pi)

    def payment_intent_cancel(self, ctx: Context, oid: str) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"cancellation_reason"})
        pi = self.owned(ctx, "payment_intent", oid)
        cancelable = (
            "requires_payment_method",
            "requires_capture",
            "requires_confirmation",
            "requires_action",
            "processing",
        )
        if pi["status"] not in cancelable:
            raise StripeError.state(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}."
                f" Only a PaymentIntent with one of the following statuses may be canceled: "
                f"{', '.join(cancelable)}.",
                code="payment_intent_unexpected_state",
            )
        reason = p.choice(
            "cancellation_reason",
            ("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
        )
        previous: dict[str, Any] = {"status": pi["status"], "canceled_at": None}
        if pi["status"] == "requires_capture":
            ch = self.store.get_typed("charge", pi["latest_charge"])
            assert ch is not None
            refund = builders.refund(
                created=self.store.now(),
                amount=ch["amount"],
                charge=ch,
                reason=None,
                metadata={},
            )
            self.store.add(refund, owner=ctx.account)
            prev_ch = {"amount_refunded": 0, "refunded": False}
            ch["amount_refunded"] = ch["amount"]
            ch["refunded"] = True
            self.emit(ctx, "charge.refunded", ch, account=ctx.account, previous=prev_ch)
            previous["amount_capturable"] = pi["amount_capturable"]
            pi["amount_capturable"] = 0
        pi["status"] = "canceled"
        pi["canceled_at"] = self.store.now()
        pi["cancellation_reason"] = reason
        pi["next_action"] = None
        self.emit(ctx, "payment_intent.canceled", pi, account=ctx.account, previous=previous)
        return self.render(pi)

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

    # =========================================================================================
    # refunds
    # =========================================================================================
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

    # =========================================================================================
    # balance
    # =========================================================================================
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

    # =========================================================================================
    # transfers and reversals
    # =========================================================================================
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

    # =========================================================================================
    # payouts
    # =========================================================================================
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

    # =========================================================================================
    # disputes
    # =========================================================================================
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

    # =========================================================================================
    # events
    # =========================================================================================
    def event_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("event", owner=ctx.account)
        event_type = ctx.params.string("type")
        if event_type:
            if event_type.endswith("*"):
                items = [e for e in items if e["type"].startswith(event_type[:-1])]
            else:
                items = [e for e in items if e["type"] == event_type]
        types = ctx.params.raw("types")
        if isinstance(types, list):
            items = [e for e in items if e["type"] in types]
        return self.list_response(ctx, "/v1/events", items)

    def event_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return copy.deepcopy(self.owned(ctx, "event", oid))


def _as_int(value: Any, param: str) -> int:
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise StripeError.invalid(
            f"Invalid integer: {value}", param=param, code="parameter_invalid_integer"
        )
    return int(value)


def _card_int(card: dict[str, Any], name: str, low: int, high: int) -> int:
    value = card.get(name)
    if value is None or value == "":
        raise StripeError.missing(f"card[{name}]")
    number = _as_int(value, f"card[{name}]")
    if name == "exp_year" and number < 100:
        number += 2000
    if not low <= number <= high:
        raise StripeError(
            402,
            "card_error",
            f"Your card's expiration {'month' if name == 'exp_month' else 'year'} is invalid.",
            code=f"invalid_expiry_{'month' if name == 'exp_month' else 'year'}",
            param=f"card[{name}]",
        )
    return number
