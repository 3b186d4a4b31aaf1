"""Reconciling local state with the gateway for a date range; other apps add their own checks.

    from payments.reconcile import Mismatch, reconciler

    @reconciler("transfers")
    def transfers(window: Window) -> Iterator[Mismatch]: ...

in their `reconcilers.py` (autodiscovered by `manage.py reconcile --since D --until D`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from payments import gateway
from payments.connected_accounts import connected_accounts
from payments.models import PaymentRecord, WebhookEvent


@dataclass(frozen=True)
class Window:
    """Epoch seconds, `created_gte <= created < created_lt` (Stripe's `created`)."""

    created_gte: int
    created_lt: int


@dataclass(frozen=True)
class Mismatch:
    check: str
    kind: str
    object_id: str
    detail: str
    account: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Reconciler = Callable[[Window], Iterable[Mismatch]]
_RECONCILERS: dict[str, Reconciler] = {}


def reconciler(name: str) -> Callable[[Reconciler], Reconciler]:
    def register(fn: Reconciler) -> Reconciler:
        _RECONCILERS[name] = fn
        return fn

    return register


def reconcilers() -> dict[str, Reconciler]:
    return dict(_RECONCILERS)


def _accounts() -> list[str | None]:
    return [None, *connected_accounts()]


@reconciler("webhook_events")
def webhook_events(window: Window) -> Iterator[Mismatch]:
    """Every gateway event of the window is stored here and applied (or ignored), and vice versa."""
    remote: dict[str, tuple[str, str]] = {}
    for account in _accounts():
        for event in gateway.events_list(
            created_gte=window.created_gte, created_lt=window.created_lt, account_id=account
        ):
            remote[event["id"]] = (event["type"], account or "")
    local = {
        row["stripe_id"]: row
        for row in WebhookEvent.objects.filter(
            created__gte=window.created_gte, created__lt=window.created_lt
        ).values("stripe_id", "type", "status", "account")
    }
    for event_id, (event_type, account) in sorted(remote.items()):
        row = local.get(event_id)
        if row is None:
            yield Mismatch("webhook_events", "missing_locally", event_id,
                           f"{event_type} is at the gateway but was never received", account)
        elif row["status"] in (WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED):
            yield Mismatch("webhook_events", "not_applied", event_id,
                           f"{event_type} is {row['status']}", account)
    for event_id, row in sorted(local.items()):
        if event_id not in remote:
            yield Mismatch("webhook_events", "unknown_to_gateway", event_id,
                           f"{row['type']} is stored here but not at the gateway", row["account"])


@reconciler("payment_intents")
def payment_intents(window: Window) -> Iterator[Mismatch]:
    """Each platform PaymentIntent of the window has a PaymentRecord with the same state."""
    remote = {
        pi["id"]: gateway.payment_intent_from_dict(pi)
        for pi in gateway.payment_intent_list(
            created_gte=window.created_gte, created_lt=window.created_lt
        )
    }
    local = {r.payment_intent_id: r for r in PaymentRecord.objects.filter(payment_intent_id__in=remote)}
    for pi_id, intent in sorted(remote.items()):
        record = local.get(pi_id)
        if record is None:
            yield Mismatch("payment_intents", "missing_locally", pi_id,
                           f"{intent.status} at the gateway, no local record")
            continue
        theirs = (intent.status, intent.amount, intent.currency, intent.latest_charge or "")
        ours = (record.status, record.amount, record.currency, record.latest_charge)
        if theirs != ours:
            yield Mismatch("payment_intents", "state_differs", pi_id,
                           f"gateway {theirs} vs local {ours}")


def reconcile(window: Window, *, only: Iterable[str] | None = None) -> list[Mismatch]:
    chosen = set(only or ())
    found: list[Mismatch] = []
    for name, check in reconcilers().items():
        if chosen and name not in chosen:
            continue
        found.extend(check(window))
    return found
