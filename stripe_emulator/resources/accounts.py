"""Connected accounts, account links (hosted onboarding) and Express login links."""

from __future__ import annotations

import copy
from typing import Any

from .. import builders
from ..errors import StripeError
from ..state import new_id
from .base import Context, ResourceBase, Route

ACCOUNT_LINK_TTL = 300

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


ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/accounts", "account_create"),
    ("GET", r"/v1/accounts", "account_list"),
    ("GET", r"/v1/account", "account_current"),
    ("GET", r"/v1/accounts/(?P<oid>[^/]+)", "account_retrieve"),
    ("POST", r"/v1/accounts/(?P<oid>[^/]+)", "account_update"),
    ("DELETE", r"/v1/accounts/(?P<oid>[^/]+)", "account_delete"),
    ("POST", r"/v1/accounts/(?P<oid>[^/]+)/login_links", "login_link_create"),
    ("POST", r"/v1/account_links", "account_link_create"),
)


class AccountsResource(ResourceBase):
    """`/v1/accounts`, `/v1/account`, `/v1/account_links`, `.../login_links`."""

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
        due = acct["requirements"]
        if (
            acct["details_submitted"]
            and acct["charges_enabled"]
            and not (due["currently_due"] or due["past_due"])
        ):
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

    _DISABLED_REASONS = frozenset(
        {
            "action_required.requested_capabilities", "listed", "other", "platform_paused",
            "rejected.fraud", "rejected.incomplete_verification", "rejected.listed",
            "rejected.other", "rejected.platform_fraud", "rejected.platform_other",
            "rejected.platform_terms_of_service", "rejected.terms_of_service",
            "requirements.past_due", "requirements.pending_verification", "under_review",
        }
    )  # fmt: skip

    def requirements_set(self, ctx: Context | None, oid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Stripe asks for more (control API): new requirements, a deadline, maybe disabled.

        A `disabled_reason` turns charges and payouts off, as Stripe does; `account.updated`.
        """
        acct = self.store.get_typed("account", oid)
        if acct is None:
            raise StripeError.not_found("account", oid)
        unknown = set(body) - {"currently_due", "past_due", "eventually_due", "current_deadline",
                               "disabled_reason"}  # fmt: skip
        if unknown:
            raise StripeError.invalid(f"Unknown field: {sorted(unknown)[0]}", param=sorted(unknown)[0])
        lists = {name: _string_list(body.get(name), name) for name in ("currently_due", "past_due")}
        eventually = _string_list(body.get("eventually_due"), "eventually_due")
        deadline = body.get("current_deadline")
        if deadline is not None and not (isinstance(deadline, int) or str(deadline).isdigit()):
            raise StripeError.invalid("current_deadline must be a unix time.", param="current_deadline")
        reason = body.get("disabled_reason") or None
        if reason is not None and reason not in self._DISABLED_REASONS:
            raise StripeError.invalid(f"Invalid disabled_reason: {reason}", param="disabled_reason")
        previous = {
            "requirements": copy.deepcopy(acct["requirements"]),
            "charges_enabled": acct["charges_enabled"],
            "payouts_enabled": acct["payouts_enabled"],
        }
        requirements = builders.requirements([], reason)
        requirements.update(lists)
        requirements["eventually_due"] = sorted({*eventually, *lists["currently_due"], *lists["past_due"]})
        requirements["current_deadline"] = int(deadline) if deadline is not None else None
        acct["requirements"] = requirements
        if reason is not None:
            acct["charges_enabled"] = False
            acct["payouts_enabled"] = False
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


def _string_list(value: Any, name: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):  # form-encoded `name[0]=a&name[1]=b`
        value = [value[k] for k in sorted(value, key=lambda k: int(k) if k.isdigit() else 0)]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise StripeError.invalid(f"{name} must be a list of requirement names.", param=name)
    return list(dict.fromkeys(value))
