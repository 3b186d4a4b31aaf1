"""Customers and card payment methods."""

from __future__ import annotations

import copy
from typing import Any

from .. import builders
from ..cards import CardProfile, card_for_magic_id, card_for_number
from ..errors import StripeError
from ..state import new_id
from .base import Context, ResourceBase, Route, as_int

ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/customers", "customer_create"),
    ("GET", r"/v1/customers", "customer_list"),
    ("GET", r"/v1/customers/(?P<oid>[^/]+)", "customer_retrieve"),
    ("POST", r"/v1/customers/(?P<oid>[^/]+)", "customer_update"),
    ("DELETE", r"/v1/customers/(?P<oid>[^/]+)", "customer_delete"),
    ("GET", r"/v1/customers/(?P<oid>[^/]+)/payment_methods", "customer_payment_methods"),
    ("POST", r"/v1/customer_sessions", "customer_session_create"),
    ("POST", r"/v1/payment_methods", "payment_method_create"),
    ("GET", r"/v1/payment_methods", "payment_method_list"),
    ("GET", r"/v1/payment_methods/(?P<oid>[^/]+)", "payment_method_retrieve"),
    ("POST", r"/v1/payment_methods/(?P<oid>[^/]+)", "payment_method_update"),
    ("POST", r"/v1/payment_methods/(?P<oid>[^/]+)/attach", "payment_method_attach"),
    ("POST", r"/v1/payment_methods/(?P<oid>[^/]+)/detach", "payment_method_detach"),
    ("POST", r"/v1/ephemeral_keys", "ephemeral_key_create"),
    ("DELETE", r"/v1/ephemeral_keys/(?P<oid>[^/]+)", "ephemeral_key_delete"),
)
# Stripe's ephemeral keys (for the mobile SDKs' PaymentSheet) live an hour.
EPHEMERAL_KEY_SECONDS = 3600


class CustomersResource(ResourceBase):
    """`/v1/customers` and `/v1/payment_methods`."""

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

    def customer_session_create(self, ctx: Context) -> dict[str, Any]:
        """A CustomerSession: lets the Payment Element list and save the customer's cards."""
        p = ctx.params
        p.check_known({"customer", "components"})
        customer = p.string("customer", required=True) or ""
        self.owned(ctx, "customer", customer)
        components = p.mapping("components")
        if not components:
            raise StripeError.missing("components")
        element = components.get("payment_element") or {}
        enabled = element.get("enabled") == "true"
        features = dict(element.get("features") or {}) if enabled else {}
        created = self.store.now()
        secret = new_id("cuss_secret_", 32)
        self.store.meta(f"customer_session:{secret}").update(
            {"customer": customer, "features": features, "expires_at": created + 1800}
        )
        return {
            "object": "customer_session",
            "client_secret": secret,
            "components": {
                "buy_button": {"enabled": False},
                "payment_element": {"enabled": enabled, "features": features or None},
                "pricing_table": {"enabled": False},
            },
            "created": created,
            "customer": customer,
            "expires_at": created + 1800,
            "livemode": False,
        }

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

    def ephemeral_key_create(self, ctx: Context) -> dict[str, Any]:
        """A short-lived key a mobile SDK uses to act on one Customer (its saved cards)."""
        p = ctx.params
        p.check_known({"customer", "issuing_card", "nonce", "verification_session"})
        customer = p.string("customer")
        if not customer:
            raise StripeError.invalid(
                "You must provide a customer, issuing_card, nonce or verification_session.",
                code="parameter_missing",
            )
        if self.store.get_typed("customer", customer) is None or (
            self.store.owner(customer) != ctx.account
        ):
            raise StripeError.not_found("customer", customer, param="customer")
        created = self.store.now()
        key = builders.ephemeral_key(
            created=created, expires=created + EPHEMERAL_KEY_SECONDS, customer=customer
        )
        # The secret is shown once, at creation, as Stripe does.
        self.store.add({k: v for k, v in key.items() if k != "secret"}, owner=ctx.account)
        return key

    def ephemeral_key_delete(self, ctx: Context, oid: str) -> dict[str, Any]:
        key = self.owned(ctx, "ephemeral_key", oid)
        key["expires"] = self.store.now()
        return copy.deepcopy(key)


def _card_int(card: dict[str, Any], name: str, low: int, high: int) -> int:
    value = card.get(name)
    if value is None or value == "":
        raise StripeError.missing(f"card[{name}]")
    number = as_int(value, f"card[{name}]")
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
