"""The payments gateway: the only module that imports `stripe`; plain dataclasses in, typed errors out.

Every write carries an idempotency key derived from the domain object (so a retried call, a
redelivered task or a double click never makes a second object), and every call is retried on
network errors, 429 and 5xx with exponential backoff and jitter, reusing the same key.
See docs/adr/0016-payments-gateway-facade.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from payments.errors import (
    AuthenticationRequired,
    CardDeclined,
    GatewayError,
    GatewayMisconfigured,
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidGatewayRequest,
    ResourceMissing,
    WebhookRejected,
)

if TYPE_CHECKING:
    # The SDK's own parameter types: mypy checks every request below against them.
    from stripe import RequestOptions
    from stripe.params import (
        AccountCreateParams,
        AccountLinkCreateParams,
        BalanceTransactionListParams,
        CustomerCreateParams,
        CustomerSessionCreateParams,
        DisputeUpdateParams,
        DisputeUpdateParamsEvidence,
        EphemeralKeyCreateParams,
        EventListParams,
        FileCreateParams,
        PaymentIntentConfirmParams,
        PaymentIntentCreateParams,
        PaymentIntentListParams,
        PayoutCreateParams,
        RefundCreateParams,
        TransferCreateParams,
        TransferCreateReversalParams,
    )
    from stripe.params import tax as tax_params

logger = logging.getLogger(__name__)

EMULATOR_KEY = "sk_test_emulator"
EMULATOR_PUBLISHABLE_KEY = "pk_test_emulator"
EMULATOR_API_BASE = "http://127.0.0.1:12111"
STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_FILES_BASE = "https://files.stripe.com"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Origins Stripe.js itself uses besides its own (Stripe's documented CSP): the API it calls and
# the frames of 3-D Secure and wallets.
_STRIPE_JS_COMPANIONS = {
    "https://js.stripe.com": {
        "connect-src": ["https://api.stripe.com"],
        "frame-src": ["https://hooks.stripe.com"],
    },
}
DEFAULT_WEBHOOK_TOLERANCE = 300
# One attempt's HTTP timeout, and the time after which no new attempt starts: a call made from a
# web request must give up (GatewayUnavailable, a "try again" for the buyer) before the web
# worker's own timeout (gunicorn --timeout 30 in the Dockerfile) kills the request.
DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_RETRY_DEADLINE_SECONDS = 25.0

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# plain results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccountRequirements:
    """What Stripe still needs from a connected account (its `requirements` hash)."""

    currently_due: list[str] = field(default_factory=list)
    past_due: list[str] = field(default_factory=list)
    eventually_due: list[str] = field(default_factory=list)
    current_deadline: int | None = None  # unix time by which `currently_due` must be provided
    disabled_reason: str | None = None


@dataclass(frozen=True)
class ConnectAccount:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)
    requirements: AccountRequirements = field(default_factory=AccountRequirements)


@dataclass(frozen=True)
class UploadedFile:
    """A file held by Stripe (`file_...`), e.g. dispute evidence referenced by its id."""

    id: str
    purpose: str
    size: int
    type: str
    filename: str


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    client_secret: str | None
    amount: int
    currency: str
    latest_charge: str | None
    transfer_group: str | None = None
    next_action_url: str | None = None
    last_error_code: str | None = None
    created: int = 0
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EphemeralKey:
    """What a mobile SDK (PaymentSheet) needs to act on the buyer's Customer for a while."""

    id: str
    secret: str
    expires: int
    customer_id: str


@dataclass(frozen=True)
class Refund:
    id: str
    status: str
    amount: int
    currency: str
    charge: str | None
    payment_intent: str | None


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str
    source_transaction: str | None
    transfer_group: str | None
    amount_reversed: int
    reversed: bool


@dataclass(frozen=True)
class TransferReversal:
    id: str
    amount: int
    currency: str
    transfer: str


@dataclass(frozen=True)
class Payout:
    id: str
    status: str
    amount: int
    currency: str
    account_id: str | None
    failure_code: str | None = None


@dataclass(frozen=True)
class Dispute:
    id: str
    status: str
    amount: int
    currency: str
    charge: str | None
    payment_intent: str | None
    reason: str | None
    evidence: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# configuration and client
# ---------------------------------------------------------------------------------------------
def api_key() -> str:
    return settings.STRIPE_SECRET_KEY or EMULATOR_KEY


def api_base() -> str:
    if settings.STRIPE_API_BASE:
        return str(settings.STRIPE_API_BASE).rstrip("/")
    return EMULATOR_API_BASE if not settings.STRIPE_SECRET_KEY else STRIPE_API_BASE


def files_base() -> str:
    """Where uploads go: Stripe serves them from its own host (files.stripe.com); a custom API
    base (the emulator) serves both unless STRIPE_FILES_BASE says otherwise."""
    if getattr(settings, "STRIPE_FILES_BASE", ""):
        return str(settings.STRIPE_FILES_BASE).rstrip("/")
    base = api_base()
    return STRIPE_FILES_BASE if base == STRIPE_API_BASE else base


def on_emulator() -> bool:
    return api_base() != STRIPE_API_BASE


def publishable_key() -> str:
    """The key Stripe.js and the mobile SDKs use (the emulator's when no Stripe key is set)."""
    if settings.STRIPE_PUBLISHABLE_KEY:
        return str(settings.STRIPE_PUBLISHABLE_KEY)
    return EMULATOR_PUBLISHABLE_KEY if not settings.STRIPE_SECRET_KEY else ""


def stripe_js_url() -> str:
    """Where pages load Stripe.js from: STRIPE_JS_URL, else Stripe's, else the emulator's stand-in."""
    if settings.STRIPE_JS_URL:
        return str(settings.STRIPE_JS_URL)
    return STRIPE_JS_URL if api_base() == STRIPE_API_BASE else f"{api_base()}/v3/"


def stripe_js_csp() -> dict[str, list[str]]:
    """The Content-Security-Policy sources a page with the Payment Element needs, from the URL."""
    parts = urlsplit(stripe_js_url())
    origin = f"{parts.scheme}://{parts.netloc}"
    companions = _STRIPE_JS_COMPANIONS.get(origin, {})
    return {
        "script-src": [origin],
        "frame-src": [origin, *companions.get("frame-src", [])],
        "connect-src": [origin, *companions.get("connect-src", [])],
    }


def webhook_secret() -> str:
    return str(settings.STRIPE_WEBHOOK_SECRET or "")


def webhook_secrets() -> list[str]:
    """Every signing secret the intake accepts: the platform endpoint's and, when set, the Connect
    endpoint's. Stripe signs events of connected accounts (`account.updated`, `payout.*`) sent to a
    Connect endpoint with that endpoint's own secret, even at the same URL."""
    secrets = [webhook_secret(), str(getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", "") or "")]
    return [secret for secret in secrets if secret]


_clients: dict[tuple[str, str, str, float], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def _client() -> stripe.StripeClient:
    timeout = _timeout()
    cache_key = (api_key(), api_base(), files_base(), timeout)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            base = api_base()
            client = stripe.StripeClient(
                cache_key[0],
                base_addresses={"api": base, "connect": base, "files": files_base()},
                # Retries are ours (below), so they are uniform, logged and use our keys.
                max_network_retries=0,
                http_client=stripe.new_default_http_client(timeout=timeout),
            )
            _clients[cache_key] = client
    return client


def _timeout() -> float:
    return float(getattr(settings, "STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def _retry_deadline() -> float:
    return float(getattr(settings, "STRIPE_RETRY_DEADLINE_SECONDS", DEFAULT_RETRY_DEADLINE_SECONDS))


def _max_retries() -> int:
    return int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 3))


def _backoff(attempt: int) -> float:
    base = float(getattr(settings, "STRIPE_RETRY_BASE_SECONDS", 0.5))
    cap = float(getattr(settings, "STRIPE_RETRY_MAX_SECONDS", 8.0))
    delay = min(cap, base * (2**attempt))
    return delay * (0.5 + random.random() / 2)


# ---------------------------------------------------------------------------------------------
# calling and translating errors
# ---------------------------------------------------------------------------------------------
def _retryable(exc: stripe.StripeError) -> bool:
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)):
        return True
    if isinstance(exc, stripe.IdempotencyError):
        # A concurrent request with the same key is still running: wait and ask again.
        return exc.code == "idempotency_key_in_use"
    status = exc.http_status or 0
    if status == 409 and exc.code == "lock_timeout":
        return True
    # A 429 without Stripe's JSON (a proxy or load balancer in front of the API) is no
    # RateLimitError for the SDK, but it is as much a "slow down and try again".
    return status >= 500 or status == 429


def _translate(exc: stripe.StripeError) -> GatewayError:
    error = exc.error
    message = (error.message if error and error.message else None) or str(exc) or "Gateway error."
    kwargs: dict[str, Any] = {
        "gateway_code": exc.code,
        "param": getattr(error, "param", None) if error else None,
        "request_id": exc.request_id,
        "http_status": exc.http_status,
    }
    if isinstance(exc, stripe.CardError):
        if exc.code == "authentication_required":
            return AuthenticationRequired(message, **kwargs)
        decline = getattr(error, "decline_code", None) if error else None
        return CardDeclined(message, decline_code=decline or exc.code, **kwargs)
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(message, **kwargs)
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return GatewayMisconfigured(message, **kwargs)
    if isinstance(exc, stripe.InvalidRequestError):
        if exc.http_status == 404 or exc.code == "resource_missing":
            return ResourceMissing(message, **kwargs)
        if exc.code == "authentication_required":
            return AuthenticationRequired(message, **kwargs)
        return InvalidGatewayRequest(message, **kwargs)
    if _retryable(exc):
        return GatewayUnavailable(message, **kwargs)
    return GatewayError(message, **kwargs)


def _call(
    operation: str,
    fn: Callable[[RequestOptions], T],
    *,
    idempotency_key: str | None = None,
    account_id: str | None = None,
) -> T:
    """Run one SDK call with our retry policy; the same key is sent on every attempt."""
    options: RequestOptions = {}
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    if account_id:
        options["stripe_account"] = account_id
    retries = _max_retries()
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            result = fn(options)
        except stripe.StripeError as exc:
            delay = _backoff(attempt)
            # Another attempt only if it could end (timing out at worst) before the deadline.
            in_time = time.monotonic() - started + delay + _timeout() <= _retry_deadline()
            if _retryable(exc) and attempt < retries and in_time:
                logger.warning(
                    "gateway %s attempt %d failed (%s %s); retrying in %.2fs key=%s",
                    operation, attempt + 1, exc.http_status, exc.code or type(exc).__name__,
                    delay, idempotency_key,
                )
                attempt += 1
                time.sleep(delay)
                continue
            error = _translate(exc)
            if isinstance(error, GatewayUnavailable) and attempt:
                error.message = f"{error.message} (after {attempt + 1} attempts)"
            logger.info(
                "gateway %s failed code=%s gateway_code=%s key=%s attempts=%d",
                operation, error.code, error.gateway_code, idempotency_key, attempt + 1,
            )
            raise error from exc
        logger.debug(
            "gateway %s ok key=%s attempts=%d %.0fms",
            operation, idempotency_key, attempt + 1, (time.monotonic() - started) * 1000,
        )
        return result


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def _key(*parts: object) -> str:
    return ":".join(str(part) for part in parts)


def _fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (metadata or {}).items()}


# ---------------------------------------------------------------------------------------------
# converters
# ---------------------------------------------------------------------------------------------
def account_requirements_from_dict(data: dict[str, Any] | None) -> AccountRequirements:
    """An account's `requirements` hash (webhook payloads use this too)."""
    data = data or {}

    def names(key: str) -> list[str]:
        return [str(item) for item in dict.fromkeys(data.get(key) or [])]

    deadline = data.get("current_deadline")
    return AccountRequirements(
        currently_due=names("currently_due"), past_due=names("past_due"),
        eventually_due=names("eventually_due"),
        current_deadline=int(deadline) if deadline else None,
        disabled_reason=str(data["disabled_reason"]) if data.get("disabled_reason") else None,
    )


def _account(data: dict[str, Any]) -> ConnectAccount:
    requirements = account_requirements_from_dict(data.get("requirements"))
    due = requirements.currently_due + [
        item for item in requirements.past_due if item not in requirements.currently_due
    ]
    return ConnectAccount(
        id=data["id"],
        charges_enabled=bool(data.get("charges_enabled")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        details_submitted=bool(data.get("details_submitted")),
        requirements_due=due,
        requirements=requirements,
    )


def payment_intent_from_dict(data: dict[str, Any]) -> PaymentIntent:
    """A PaymentIntent from its Stripe JSON (webhook payloads use this too)."""
    next_action = data.get("next_action") or {}
    redirect = next_action.get("redirect_to_url") or {}
    last_error = data.get("last_payment_error") or {}
    latest_charge = data.get("latest_charge")
    if isinstance(latest_charge, dict):
        latest_charge = latest_charge.get("id")
    return PaymentIntent(
        id=data["id"],
        status=data["status"],
        client_secret=data.get("client_secret"),
        amount=int(data["amount"]),
        currency=str(data["currency"]).upper(),
        latest_charge=latest_charge,
        transfer_group=data.get("transfer_group"),
        next_action_url=redirect.get("url"),
        last_error_code=last_error.get("decline_code") or last_error.get("code"),
        created=int(data.get("created") or 0),
        metadata=dict(data.get("metadata") or {}),
    )


def _refund(data: dict[str, Any]) -> Refund:
    return Refund(
        id=data["id"], status=data["status"], amount=int(data["amount"]),
        currency=str(data["currency"]).upper(), charge=data.get("charge"),
        payment_intent=data.get("payment_intent"),
    )


def _transfer(data: dict[str, Any]) -> Transfer:
    return Transfer(
        id=data["id"], amount=int(data["amount"]), currency=str(data["currency"]).upper(),
        destination=data["destination"], source_transaction=data.get("source_transaction"),
        transfer_group=data.get("transfer_group"),
        amount_reversed=int(data.get("amount_reversed") or 0), reversed=bool(data.get("reversed")),
    )


def _payout(data: dict[str, Any], account_id: str | None) -> Payout:
    return Payout(
        id=data["id"], status=data["status"], amount=int(data["amount"]),
        currency=str(data["currency"]).upper(), account_id=account_id,
        failure_code=data.get("failure_code"),
    )


def _dispute(data: dict[str, Any]) -> Dispute:
    return Dispute(
        id=data["id"], status=data["status"], amount=int(data["amount"]),
        currency=str(data["currency"]).upper(), charge=data.get("charge"),
        payment_intent=data.get("payment_intent"), reason=data.get("reason"),
        evidence={k: v for k, v in (data.get("evidence") or {}).items() if v},
    )


# ---------------------------------------------------------------------------------------------
# Connect accounts
# ---------------------------------------------------------------------------------------------
def account_create(*, vendor_id: int, country: str, email: str, business_name: str) -> ConnectAccount:
    """An Express account for the vendor; one per vendor, whatever the retries."""
    params: AccountCreateParams = {
        "type": "express",
        "country": country.upper(),
        "email": email,
        "business_profile": {"name": business_name},
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"vendor_id": str(vendor_id)},
    }
    result = _call(
        "account_create",
        lambda options: _client().v1.accounts.create(params=params, options=options),
        idempotency_key=_key("account", "vendor", vendor_id),
    )
    return _account(_plain(result))


def account_retrieve(*, account_id: str) -> ConnectAccount:
    result = _call(
        "account_retrieve",
        lambda options: _client().v1.accounts.retrieve(account_id, options=options),
    )
    return _account(_plain(result))


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """A single-use onboarding link (the key covers this call's retries: links are one-shot)."""
    params: AccountLinkCreateParams = {
        "account": account_id,
        "type": "account_onboarding",
        "refresh_url": refresh_url,
        "return_url": return_url,
    }
    result = _call(
        "account_link_create",
        lambda options: _client().v1.account_links.create(params=params, options=options),
        idempotency_key=_key("account_link", account_id, uuid.uuid4().hex),
    )
    return str(_plain(result)["url"])


def login_link_create(*, account_id: str) -> str:
    """A single-use link into the Express dashboard of an onboarded account.

    Refused by Stripe (InvalidGatewayRequest) for an account that has not finished onboarding.
    """
    result = _call(
        "login_link_create",
        lambda options: _client().v1.accounts.login_links.create(account_id, options=options),
        idempotency_key=_key("login_link", account_id, uuid.uuid4().hex),
    )
    return str(_plain(result)["url"])


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------
def file_create(*, key: str, filename: str, content: bytes, purpose: str = "dispute_evidence") -> UploadedFile:
    """Upload a file (multipart, to the files host); the key makes a retried upload return the
    file made the first time instead of a second copy."""
    def upload(options: RequestOptions) -> Any:
        # A fresh stream per attempt: a retry must send the whole file again.
        stream = io.BytesIO(content)
        stream.name = filename
        params = cast("FileCreateParams", {"file": stream, "purpose": purpose})
        return _client().v1.files.create(params=params, options=options)

    data = _plain(_call("file_create", upload, idempotency_key=_key("file", key)))
    return UploadedFile(
        id=data["id"], purpose=str(data.get("purpose") or purpose), size=int(data.get("size") or 0),
        type=str(data.get("type") or ""), filename=str(data.get("filename") or filename),
    )


# ---------------------------------------------------------------------------------------------
# customers
# ---------------------------------------------------------------------------------------------
def ephemeral_key_create(*, customer_id: str) -> EphemeralKey:
    """A key for a mobile SDK, made with the API version this SDK pins (Stripe requires one).

    A fresh key per call (each app start asks for one), but one idempotency key across this
    call's retries: without it the SDK makes up a new one per attempt, and an attempt whose answer
    was lost would leave a second live key behind.
    """
    params: EphemeralKeyCreateParams = {"customer": customer_id}

    def create(options: RequestOptions) -> Any:
        options["stripe_version"] = stripe.api_version
        return _client().v1.ephemeral_keys.create(params=params, options=options)

    result = _call("ephemeral_key_create", create,
                   idempotency_key=_key("ephemeral_key", customer_id, uuid.uuid4().hex))
    data = _plain(result)
    return EphemeralKey(id=data["id"], secret=data["secret"], expires=int(data["expires"]),
                        customer_id=customer_id)


# ---------------------------------------------------------------------------------------------
# payment intents
# ---------------------------------------------------------------------------------------------
def payment_intent_create(
    *,
    order_id: int,
    amount: int,
    currency: str,
    transfer_group: str,
    metadata: dict[str, Any],
    customer_id: str | None = None,
) -> PaymentIntent:
    """One PaymentIntent per order ("separate charges and transfers": funds stay on the platform).

    Automatic payment methods let Stripe offer what the Dashboard enables for the buyer's device
    (cards, Apple Pay, Google Pay...); with the buyer's Customer the Payment Element can save the
    card and show it again next time. Card collection and confirmation happen in the browser
    (Stripe.js) with the client secret, so nothing here depends on the page.
    """
    params: PaymentIntentCreateParams = {
        "amount": amount,
        "currency": currency.lower(),
        "transfer_group": transfer_group,
        "metadata": _metadata({"order_id": order_id, **metadata}),
        "automatic_payment_methods": {"enabled": True},
    }
    if customer_id:
        params["customer"] = customer_id
    result = _call(
        "payment_intent_create",
        lambda options: _client().v1.payment_intents.create(params=params, options=options),
        idempotency_key=_key("payment_intent", "order", order_id),
    )
    return payment_intent_from_dict(_plain(result))


def payment_intent_retrieve(*, payment_intent_id: str, account_id: str | None = None) -> PaymentIntent:
    result = _call(
        "payment_intent_retrieve",
        lambda options: _client().v1.payment_intents.retrieve(payment_intent_id, options=options),
        account_id=account_id,
    )
    return payment_intent_from_dict(_plain(result))


def payment_intent_retrieve_raw(*, payment_intent_id: str, account_id: str | None = None) -> dict[str, Any]:
    """The PaymentIntent as Stripe's JSON (webhook handlers re-fetch state with this)."""
    result = _call(
        "payment_intent_retrieve",
        lambda options: _client().v1.payment_intents.retrieve(payment_intent_id, options=options),
        account_id=account_id,
    )
    return _plain(result)


def charge_retrieve_raw(*, charge_id: str) -> dict[str, Any]:
    """A platform charge as Stripe's JSON (its `outcome` is Radar's evaluation)."""
    result = _call(
        "charge_retrieve",
        lambda options: _client().v1.charges.retrieve(charge_id, options=options),
    )
    return _plain(result)


def payment_intent_confirm(
    *, payment_intent_id: str, payment_method: str, return_url: str | None = None,
    off_session: bool = False,
) -> PaymentIntent:
    """Confirm server-side (saved or test payment methods); 3-D Secure leaves `requires_action`.

    Off-session, a card that needs authentication raises AuthenticationRequired instead.
    """
    params: PaymentIntentConfirmParams = {"payment_method": payment_method}
    if return_url:
        params["return_url"] = return_url
    if off_session:
        params["off_session"] = True
    result = _call(
        "payment_intent_confirm",
        lambda options: _client().v1.payment_intents.confirm(
            payment_intent_id, params=params, options=options
        ),
        idempotency_key=_key("payment_intent_confirm", payment_intent_id, payment_method),
    )
    intent = payment_intent_from_dict(_plain(result))
    if off_session and intent.status == "requires_action":
        raise AuthenticationRequired(
            "The card requires authentication and the buyer is not present.",
            gateway_code="authentication_required",
        )
    return intent


def payment_intent_cancel(*, payment_intent_id: str) -> PaymentIntent:
    result = _call(
        "payment_intent_cancel",
        lambda options: _client().v1.payment_intents.cancel(payment_intent_id, options=options),
        idempotency_key=_key("payment_intent_cancel", payment_intent_id),
    )
    return payment_intent_from_dict(_plain(result))


def payment_intent_list(
    *, created_gte: int | None = None, created_lt: int | None = None, account_id: str | None = None
) -> Iterator[dict[str, Any]]:
    yield from _list_all(
        "payment_intent_list",
        lambda params, options: _client().v1.payment_intents.list(
            params=cast("PaymentIntentListParams", params), options=options
        ),
        _created_filter(created_gte, created_lt),
        account_id=account_id,
    )


# ---------------------------------------------------------------------------------------------
# customers (saved cards)
# ---------------------------------------------------------------------------------------------
def customer_create(*, key: str, email: str, name: str, metadata: dict[str, Any]) -> str:
    """A Stripe Customer (once per `key`, whatever the retries); returns its id."""
    params: CustomerCreateParams = {"email": email, "metadata": _metadata(metadata)}
    if name:
        params["name"] = name
    result = _call(
        "customer_create",
        lambda options: _client().v1.customers.create(params=params, options=options),
        idempotency_key=_key("customer", key),
    )
    return str(_plain(result)["id"])


def customer_session_create(*, customer_id: str) -> str:
    """A CustomerSession's client secret: the Payment Element lists the customer's saved cards
    and offers to save the new one. Short-lived; the key changes every ten minutes so a replay
    never hands out an expired session."""
    params: CustomerSessionCreateParams = {
        "customer": customer_id,
        "components": {"payment_element": {"enabled": True, "features": {
            "payment_method_redisplay": "enabled", "payment_method_save": "enabled",
            "payment_method_save_usage": "off_session", "payment_method_remove": "disabled",
        }}},
    }
    result = _call(
        "customer_session_create",
        lambda options: _client().v1.customer_sessions.create(params=params, options=options),
        idempotency_key=_key("customer_session", customer_id, int(time.time()) // 600),
    )
    return str(_plain(result)["client_secret"])


# ---------------------------------------------------------------------------------------------
# refunds, transfers, payouts
# ---------------------------------------------------------------------------------------------
def refund_create(*, key: str, payment_intent_id: str, amount: int, metadata: dict[str, Any]) -> Refund:
    params: RefundCreateParams = {
        "payment_intent": payment_intent_id, "amount": amount, "metadata": _metadata(metadata),
    }
    result = _call(
        "refund_create",
        lambda options: _client().v1.refunds.create(params=params, options=options),
        idempotency_key=_key("refund", key),
    )
    return _refund(_plain(result))


def transfer_create(
    *,
    key: str,
    amount: int,
    currency: str,
    destination: str,
    source_transaction: str | None,
    transfer_group: str,
    metadata: dict[str, Any],
) -> Transfer:
    params: TransferCreateParams = {
        "amount": amount,
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": _metadata(metadata),
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    result = _call(
        "transfer_create",
        lambda options: _client().v1.transfers.create(params=params, options=options),
        idempotency_key=_key("transfer", key),
    )
    return _transfer(_plain(result))


def transfer_retrieve(*, transfer_id: str) -> Transfer:
    result = _call(
        "transfer_retrieve",
        lambda options: _client().v1.transfers.retrieve(transfer_id, options=options),
    )
    return _transfer(_plain(result))


def transfer_reverse(*, key: str, transfer_id: str, amount: int, metadata: dict[str, Any]) -> TransferReversal:
    params: TransferCreateReversalParams = {"amount": amount, "metadata": _metadata(metadata)}
    result = _call(
        "transfer_reverse",
        lambda options: _client().v1.transfers.reversals.create(
            transfer_id, params=params, options=options
        ),
        idempotency_key=_key("transfer_reversal", key),
    )
    data = _plain(result)
    return TransferReversal(
        id=data["id"], amount=int(data["amount"]), currency=str(data["currency"]).upper(),
        transfer=data["transfer"],
    )


def payout_create(
    *, key: str, account_id: str, amount: int, currency: str, metadata: dict[str, Any]
) -> Payout:
    """A payout from a connected account's balance to its bank."""
    params: PayoutCreateParams = {"amount": amount, "currency": currency.lower(), "metadata": _metadata(metadata)}
    result = _call(
        "payout_create",
        lambda options: _client().v1.payouts.create(params=params, options=options),
        idempotency_key=_key("payout", key),
        account_id=account_id,
    )
    return _payout(_plain(result), account_id)


def payout_retrieve(*, payout_id: str, account_id: str) -> Payout:
    result = _call(
        "payout_retrieve",
        lambda options: _client().v1.payouts.retrieve(payout_id, options=options),
        account_id=account_id,
    )
    return _payout(_plain(result), account_id)


# ---------------------------------------------------------------------------------------------
# disputes
# ---------------------------------------------------------------------------------------------
def dispute_retrieve(*, dispute_id: str) -> Dispute:
    result = _call(
        "dispute_retrieve",
        lambda options: _client().v1.disputes.retrieve(dispute_id, options=options),
    )
    return _dispute(_plain(result))


def dispute_update(*, dispute_id: str, evidence: dict[str, str], submit: bool) -> Dispute:
    params: DisputeUpdateParams = {"evidence": cast("DisputeUpdateParamsEvidence", dict(evidence)), "submit": submit}
    result = _call(
        "dispute_update",
        lambda options: _client().v1.disputes.update(dispute_id, params=params, options=options),
        idempotency_key=_key("dispute_update", dispute_id, _fingerprint(params)),
    )
    return _dispute(_plain(result))


def dispute_close(*, dispute_id: str) -> Dispute:
    """Accept the dispute (Stripe's "close": the platform concedes, the dispute is lost)."""
    result = _call(
        "dispute_close",
        lambda options: _client().v1.disputes.close(dispute_id, options=options),
        idempotency_key=_key("dispute_close", dispute_id),
    )
    return _dispute(_plain(result))


# ---------------------------------------------------------------------------------------------
# balance and events
# ---------------------------------------------------------------------------------------------
def balance_retrieve(*, account_id: str | None = None) -> dict[str, Any]:
    """`{"available": {"EUR": 1234}, "pending": {...}}` in minor units per currency."""
    data = _plain(
        _call(
            "balance_retrieve",
            lambda options: _client().v1.balance.retrieve(options=options),
            account_id=account_id,
        )
    )
    result: dict[str, Any] = {}
    for bucket in ("available", "pending"):
        totals: dict[str, int] = {}
        for entry in data.get(bucket) or []:
            currency = str(entry["currency"]).upper()
            totals[currency] = totals.get(currency, 0) + int(entry["amount"])
        result[bucket] = totals
    return result


def _created_filter(created_gte: int | None, created_lt: int | None) -> dict[str, Any]:
    created: dict[str, int] = {}
    if created_gte is not None:
        created["gte"] = int(created_gte)
    if created_lt is not None:
        created["lt"] = int(created_lt)
    return {"created": created} if created else {}


def _list_all(
    operation: str,
    page: Callable[[dict[str, Any], RequestOptions], Any],
    params: dict[str, Any],
    *,
    account_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Walk every page (newest first), each page fetched with the retry policy."""
    cursor: str | None = None
    while True:
        query = dict(params, limit=100)
        if cursor:
            query["starting_after"] = cursor
        result = _call(operation, lambda options, q=query: page(q, options), account_id=account_id)  # type: ignore[misc]
        data = _plain(result)
        items = data.get("data") or []
        yield from items
        if not data.get("has_more") or not items:
            return
        cursor = items[-1]["id"]


def balance_transactions_list(
    *, created_gte: int | None, created_lt: int | None, account_id: str | None = None
) -> Iterator[dict[str, Any]]:
    yield from _list_all(
        "balance_transactions_list",
        lambda params, options: _client().v1.balance_transactions.list(
            params=cast("BalanceTransactionListParams", params), options=options
        ),
        _created_filter(created_gte, created_lt),
        account_id=account_id,
    )


def events_list(
    *, created_gte: int | None, created_lt: int | None, account_id: str | None = None,
    event_type: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Stripe's event log (platform, or a connected account's with `account_id`)."""
    params = _created_filter(created_gte, created_lt)
    if event_type:
        params["type"] = event_type
    yield from _list_all(
        "events_list",
        lambda query, options: _client().v1.events.list(
            params=cast("EventListParams", query), options=options
        ),
        params,
        account_id=account_id,
    )


# ---------------------------------------------------------------------------------------------
# inbound webhooks
# ---------------------------------------------------------------------------------------------
def webhook_payload_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check the `Stripe-Signature` of the RAW body (and its timestamp), then parse it.

    Raises WebhookRejected with a code saying why: `signature_missing`, `signature_invalid`,
    `timestamp_stale` (older or further ahead than the tolerance), `payload_malformed`,
    `webhook_not_configured`.
    """
    secrets = webhook_secrets()
    if not secrets:
        raise WebhookRejected("No webhook signing secret is configured.", code="webhook_not_configured")
    if not signature:
        raise WebhookRejected("The Stripe-Signature header is missing.", code="signature_missing")
    tolerance = int(getattr(settings, "STRIPE_WEBHOOK_TOLERANCE", DEFAULT_WEBHOOK_TOLERANCE))
    try:
        text_body = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookRejected("The body is not UTF-8.", code="payload_malformed") from exc
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text_body, signature, secret, tolerance)
            break
        except stripe.SignatureVerificationError as exc:
            # The SDK checks the signature before the timestamp: a stale one was signed by this secret.
            if "tolerance" in str(exc).lower():
                raise WebhookRejected(
                    "The signature timestamp is outside the tolerance.", code="timestamp_stale"
                ) from exc
    else:
        raise WebhookRejected("The signature does not match the payload.", code="signature_invalid")
    # The SDK refuses only old timestamps: a signature dated ahead would stay replayable until that
    # date has passed too, so the window is the tolerance on both sides.
    if _signature_timestamp(signature) > time.time() + tolerance:
        raise WebhookRejected("The signature timestamp is outside the tolerance.", code="timestamp_stale")
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise WebhookRejected("The body is not valid JSON.", code="payload_malformed") from exc
    if not _event_shape_ok(event):
        raise WebhookRejected("The body is not a Stripe event.", code="payload_malformed")
    return event  # type: ignore[no-any-return]


def _signature_timestamp(signature: str) -> int:
    """The `t=` of a `Stripe-Signature` header that the SDK has already parsed and verified."""
    for element in signature.split(","):
        name, _, value = element.strip().partition("=")
        if name == "t":
            return int(value)
    raise WebhookRejected("The signature has no timestamp.", code="signature_invalid")


def _event_shape_ok(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    data = event.get("data")
    return (
        isinstance(event.get("id"), str) and event["id"].startswith("evt_") and len(event["id"]) <= 255
        and isinstance(event.get("type"), str) and 0 < len(event["type"]) <= 100
        and isinstance(event.get("created"), int)
        and isinstance(data, dict) and isinstance(data.get("object"), dict)
        and (event.get("account") is None or isinstance(event.get("account"), str))
    )


__all__ = [
    "AccountRequirements", "ConnectAccount", "Dispute", "EphemeralKey", "GatewayError",
    "PaymentIntent", "Payout", "Refund", "Transfer", "TransferReversal", "UploadedFile",
    "account_create", "account_link_create", "account_requirements_from_dict", "account_retrieve",
    "api_base", "balance_retrieve", "balance_transactions_list", "customer_create",
    "customer_session_create", "dispute_close", "dispute_retrieve", "dispute_update",
    "ephemeral_key_create", "events_list", "file_create", "files_base", "login_link_create",
    "on_emulator", "payment_intent_cancel", "payment_intent_confirm", "payment_intent_create",
    "payment_intent_from_dict", "payment_intent_list", "payment_intent_retrieve",
    "payment_intent_retrieve_raw", "payout_create", "payout_retrieve", "publishable_key",
    "refund_create", "stripe_js_csp", "stripe_js_url", "transfer_create", "transfer_retrieve",
    "transfer_reverse", "webhook_payload_verify", "webhook_secrets",
]


# ---------------------------------------------------------------------------------------------
# Stripe Tax (docs/adr/0070)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaxCalculationLine:
    reference: str
    amount: int
    tax_code: str
    # Reverse charge: the buyer accounts for the tax (Stripe's `taxability_override` per line is
    # not in the API; the platform sends the line as exempt instead).
    exempt: bool = False


@dataclass(frozen=True)
class TaxCalculationItem:
    reference: str
    amount: int
    amount_tax: int
    rate_bp: int
    # Stripe's `taxability_reason` ("standard_rated", "not_collecting", ...).
    reason: str = ""


@dataclass(frozen=True)
class TaxCalculation:
    id: str
    inclusive: bool
    amount_total: int
    lines: list[TaxCalculationItem]


def _tax_rate_bp(breakdown: list[dict[str, Any]]) -> int:
    for row in breakdown or []:
        details = row.get("tax_rate_details") or {}
        if details.get("percentage_decimal") is not None:
            return int((float(details["percentage_decimal"]) * 100) + 0.5)
    return 0


def tax_calculation_create(
    *, currency: str, country: str, region: str, lines: list[TaxCalculationLine], inclusive: bool | None = None,
) -> TaxCalculation:
    """One Stripe Tax calculation for a cart (read-only: no idempotency key needed)."""
    behaviour = "exclusive" if country == "US" else "inclusive"
    if inclusive is not None:
        behaviour = "inclusive" if inclusive else "exclusive"
    address: tax_params.CalculationCreateParamsCustomerDetailsAddress = {"country": country}
    if region:
        address["state"] = region
    params: tax_params.CalculationCreateParams = {
        "currency": currency.lower(),
        "customer_details": {"address": address, "address_source": "shipping"},
        "line_items": [{"amount": line.amount, "reference": line.reference,
                        "tax_code": "txcd_00000000" if line.exempt else line.tax_code,
                        "tax_behavior": behaviour} for line in lines],
        "expand": ["line_items.data.tax_breakdown"],
    }
    result = _call("tax_calculation_create",
                   lambda options: _client().v1.tax.calculations.create(params=params, options=options))
    data = _plain(result)
    items = [TaxCalculationItem(reference=item["reference"], amount=item["amount"], amount_tax=item["amount_tax"],
                                rate_bp=_tax_rate_bp(item.get("tax_breakdown") or []),
                                reason=str(((item.get("tax_breakdown") or [{}])[0]).get("taxability_reason") or ""))
             for item in (data.get("line_items") or {}).get("data", [])]
    return TaxCalculation(id=data["id"], inclusive=behaviour == "inclusive", amount_total=data["amount_total"],
                          lines=items)


def tax_transaction_create(*, calculation_id: str, reference: str) -> str:
    """Record a calculation as a tax transaction (when the order is paid); its id."""
    result = _call(
        "tax_transaction_create",
        lambda options: _client().v1.tax.transactions.create_from_calculation(
            params={"calculation": calculation_id, "reference": reference}, options=options),
        idempotency_key=_key("tax_transaction", reference),
    )
    return str(_plain(result)["id"])


def tax_transaction_reverse(*, transaction_id: str, reference: str, amount: int | None = None) -> str:
    """Reverse a recorded tax transaction (a refund): the whole of it, or `amount` (tax included,
    in the order's minor units) spread by Stripe over its lines; the reversal's id."""
    params: tax_params.TransactionCreateReversalParams = {
        "original_transaction": transaction_id, "reference": reference,
        "mode": "full" if amount is None else "partial"}
    if amount is not None:
        params["flat_amount"] = -amount
    result = _call(
        "tax_transaction_reverse",
        lambda options: _client().v1.tax.transactions.create_reversal(params=params, options=options),
        idempotency_key=_key("tax_reversal", reference),
    )
    return str(_plain(result)["id"])
