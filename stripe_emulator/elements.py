"""The stand-in Stripe.js (`/v3/`), its Payment Element frame, and what a publishable key may do."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from .api import StripeApi
from .builders import card_details
from .cards import CARDS, MAGIC_NAMES
from .errors import StripeError
from .pages import HostedPages
from .state import PLATFORM, Store

_ASSETS = Path(__file__).resolve().parent / "assets"
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")

# What Stripe.js may call with a publishable key: each call names its PaymentIntent's client
# secret (or creates a bare card PaymentMethod), as on Stripe. Everything else needs a secret key.
_CLIENT_ROUTES = (
    ("GET", re.compile(r"/v1/payment_intents/(?P<oid>[^/]+)/?")),
    ("POST", re.compile(r"/v1/payment_intents/(?P<oid>[^/]+)/confirm/?")),
    ("POST", re.compile(r"/v1/payment_methods/?")),
)
_CLIENT_CONFIRM_PARAMS = frozenset(
    {"client_secret", "payment_method", "return_url", "setup_future_usage", "use_stripe_sdk",
     "expand"}
)  # fmt: skip


def _publishable_refused() -> StripeError:
    return StripeError(
        401,
        "invalid_request_error",
        "This API call cannot be made with a publishable API key. Please use a secret API key.",
        code="secret_key_required",
    )


def intent_for_client_secret(store: Store, oid: str, secret: Any) -> dict[str, Any]:
    """The PaymentIntent `oid` if `secret` is its client secret; Stripe's errors otherwise."""
    if not secret:
        raise StripeError.missing("client_secret")
    pi = store.get_typed("payment_intent", oid)
    if pi is None:
        raise StripeError.not_found("payment_intent", oid)
    if secret != pi["client_secret"]:
        raise StripeError.invalid(
            "The client_secret provided does not match the client_secret associated with the "
            "PaymentIntent.",
            param="client_secret",
        )
    return pi


def client_side_check(store: Store, method: str, path: str, data: dict[str, Any]) -> None:
    """Refuse a publishable-key request that Stripe.js could not make (raises StripeError)."""
    for route_method, pattern in _CLIENT_ROUTES:
        found = pattern.fullmatch(path)
        if found is None or route_method != method:
            continue
        if path.startswith("/v1/payment_methods"):
            if "customer" in data:
                raise StripeError.invalid(
                    "A publishable key cannot attach a PaymentMethod to a customer.",
                    param="customer",
                )
            return
        pi = intent_for_client_secret(store, found.group("oid"), data.get("client_secret"))
        if method == "POST":
            _check_client_confirm(store, pi, data)
        return
    raise _publishable_refused()


def _check_client_confirm(store: Store, pi: dict[str, Any], data: dict[str, Any]) -> None:
    for name in data:
        if name not in _CLIENT_CONFIRM_PARAMS:
            raise StripeError.invalid(
                f"Received unknown parameter: {name} (not allowed with a publishable key)",
                param=name,
            )
    ref = str(data.get("payment_method") or "")
    pm = store.get_typed("payment_method", ref) if ref else None
    # A saved card is usable only by its own customer's PaymentIntents.
    if pm is not None and pm["customer"] not in (None, pi["customer"]):
        raise StripeError.not_found("PaymentMethod", ref, param="payment_method")


class ElementsPages:
    """`/v3/` (the script), `/_emulator/elements/payment` (the frame), `.../wallet` (the sheet)."""

    def __init__(self, api: StripeApi) -> None:
        self.api = api
        self.store = api.store

    def handle(self, request: Request) -> Response | None:
        path = request.path
        if path in ("/v3", "/v3/") and request.method == "GET":
            return self.script(request)
        if path == "/_emulator/elements/payment" and request.method == "GET":
            return self._guarded(request, self.payment_frame)
        if path == "/_emulator/elements/wallet" and request.method == "POST":
            return self._guarded(request, self.wallet)
        return None

    def _guarded(self, request: Request, handler: Any) -> Response:
        key = request.values.get("key", "")
        try:
            if not key.startswith("pk_test_"):
                raise StripeError(
                    401,
                    "invalid_request_error",
                    "A test-mode publishable key is required.",
                    code="api_key_invalid",
                )
            with self.store.lock:
                pi_id = request.values.get("client_secret", "").split("_secret_")[0]
                pi = intent_for_client_secret(
                    self.store, pi_id, request.values.get("client_secret")
                )
                response: Response = handler(request, pi)
                return response
        except StripeError as exc:
            return Response(
                json.dumps(exc.body()), status=exc.status, content_type="application/json"
            )

    def script(self, request: Request) -> Response:
        source = (_ASSETS / "stripe.js").read_text(encoding="utf-8")
        source = source.replace("__STRIPE_EMULATOR_API__", request.host_url.rstrip("/"))
        return Response(
            source,
            content_type="application/javascript; charset=utf-8",
            headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"},
        )

    def payment_frame(self, request: Request, pi: dict[str, Any]) -> Response:
        parent = request.values.get("parent", "")
        if not _ORIGIN.fullmatch(parent):
            raise StripeError.invalid("parent must be the embedding page's origin.", param="parent")
        session = self._customer_session(request.values.get("customer_session", ""), pi)
        features = session.get("features", {}) if session else {}
        saved = []
        if features.get("payment_method_redisplay") == "enabled":
            saved = [
                {
                    "id": pm["id"],
                    "brand": pm["card"]["brand"].title(),
                    "last4": pm["card"]["last4"],
                    "exp": f"{pm['card']['exp_month']:02d}/{pm['card']['exp_year'] % 100:02d}",
                }
                for pm in self.store.all("payment_method", owner=PLATFORM)
                if pm["customer"] == pi["customer"] and pm["allow_redisplay"] == "always"
            ]
        automatic = pi.get("automatic_payment_methods") or {}
        config = {
            "key": request.values["key"],
            "client_secret": pi["client_secret"],
            "parent": parent,
            "saved": saved,
            "can_save": features.get("payment_method_save") == "enabled",
            # Wallets come with automatic payment methods, as on Stripe's Payment Element.
            "wallet": bool(automatic.get("enabled")),
        }
        blob = json.dumps(config).replace("<", "\\u003c")
        html = (_ASSETS / "payment_element.html").read_text(encoding="utf-8")
        return Response(
            html.replace("__ELEMENT_CONFIG__", blob), content_type="text/html; charset=utf-8"
        )

    def _customer_session(self, secret: str, pi: dict[str, Any]) -> dict[str, Any] | None:
        if not secret or not pi["customer"]:
            return None
        session = self.store.meta(f"customer_session:{secret}")
        if (
            session.get("customer") != pi["customer"]
            or session.get("expires_at", 0) < self.store.now()
        ):
            return None
        return session

    def wallet(self, request: Request, pi: dict[str, Any]) -> Response:
        """Google Pay / Apple Pay approved: the wallet's card becomes a PaymentMethod."""
        wallet = request.values.get("wallet", "")
        if wallet not in ("google_pay", "apple_pay"):
            raise StripeError.invalid("wallet must be google_pay or apple_pay.", param="wallet")
        if not (pi.get("automatic_payment_methods") or {}).get("enabled"):
            raise StripeError.invalid(
                "Wallets need automatic_payment_methods[enabled] on the PaymentIntent.",
                param="wallet",
            )
        card = CARDS[MAGIC_NAMES["visa"]]
        ctx = HostedPages(self.api)._ctx(request, PLATFORM)
        pm = self.api.create_card_payment_method(
            ctx, card, billing_details={"name": "Wallet Buyer"}
        )
        pm["card"] = card_details(card, 12, 2034, wallet=wallet)
        return Response(json.dumps(self.api.render(pm)), content_type="application/json")
