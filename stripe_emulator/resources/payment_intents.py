"""Payment intents: confirmation (3-D Secure, declines), capture and cancellation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .. import builders
from ..cards import CardProfile, card_for_number
from ..errors import StripeError
from ..state import new_id
from .base import Context, Route
from .customers import CustomersResource
from .disputes import DisputesResource

MIN_CHARGE_AMOUNT = 50


def stripe_fee(amount: int) -> int:
    """Stripe's card fee: 2.9% (rounded half up) + 30 minor units."""
    return (amount * 29 + 500) // 1000 + 30


ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/payment_intents", "payment_intent_create"),
    ("GET", r"/v1/payment_intents", "payment_intent_list"),
    ("GET", r"/v1/payment_intents/(?P<oid>[^/]+)", "payment_intent_retrieve"),
    ("POST", r"/v1/payment_intents/(?P<oid>[^/]+)", "payment_intent_update"),
    ("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/confirm", "payment_intent_confirm"),
    ("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/capture", "payment_intent_capture"),
    ("POST", r"/v1/payment_intents/(?P<oid>[^/]+)/cancel", "payment_intent_cancel"),
)


class PaymentIntentsResource(CustomersResource, DisputesResource):
    """`/v1/payment_intents`; a capture may open a dispute (test cards), hence the bases."""

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
            setup_future_usage=p.choice("setup_future_usage", ("off_session", "on_session")),
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
        if "setup_future_usage" in p:
            self._require_confirmable(pi)
            pi["setup_future_usage"] = p.choice("setup_future_usage", ("off_session", "on_session"))
            # Stripe.js asks to save only when the buyer ticked the element's box: the card
            # may then be shown to them again.
            self.store.meta(pi["id"])["consented_redisplay"] = "client_secret" in p
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
            outcome=builders.outcome(
                approved=False, reason=card.decline_code, risk_level=card.risk_level,
                risk_score=card.risk_score, blocked=card.radar_blocked,
            ),
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
            outcome=builders.outcome(
                approved=True, risk_level=card.risk_level, risk_score=card.risk_score
            ),
        )
        self.store.add(ch, owner=ctx.account, dispute_on_capture=card.behavior == "dispute")
        self._save_for_future_usage(ctx, pi, pm)
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

    def _save_for_future_usage(self, ctx: Context, pi: dict[str, Any], pm: dict[str, Any]) -> None:
        """`setup_future_usage` with a customer: the card is attached to them once it worked."""
        if not pi["setup_future_usage"] or not pi["customer"] or pm["customer"]:
            return
        pm["customer"] = pi["customer"]
        if self.store.meta(pi["id"]).get("consented_redisplay"):
            pm["allow_redisplay"] = "always"
        self.emit(ctx, "payment_method.attached", pm, account=ctx.account)

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
