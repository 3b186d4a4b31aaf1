"""Reads of the ops console: dead letters, the support search, an order's timeline, takedowns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from support.errors import DeadLetterNotFound
from support.models import DeadLetter


def dead_letter_list(*, status: str | None = DeadLetter.Status.OPEN) -> QuerySet[DeadLetter]:
    letters = DeadLetter.objects.select_related("resolved_by")
    return letters.filter(status=status) if status else letters


def dead_letter_get(*, dead_letter_id: int) -> DeadLetter:
    letter = (DeadLetter.objects.select_related("resolved_by").prefetch_related("events__actor")
              .filter(pk=dead_letter_id).first())
    if letter is None:
        raise DeadLetterNotFound("No such dead letter.")
    return letter


def dead_letter_status_counts() -> dict[str, int]:
    rows = DeadLetter.objects.values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


# --- the support console: search and an order's whole story --------------------------------------
@dataclass
class SearchResults:
    query: str
    kind: str  # what the query was read as: order, email, payment, charge, transfer, text
    orders: list[Any] = field(default_factory=list)
    vendors: list[Any] = field(default_factory=list)
    listings: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.orders or self.vendors or self.listings)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    source: str  # order, fulfilment, payment, transfer, claim, chargeback
    title: str
    actor: str = ""
    reason: str = ""
    detail: str = ""


SEARCH_LIMIT = 25


def _orders() -> QuerySet[Any]:
    from orders.models import Order

    return Order.objects.select_related("buyer").prefetch_related("sub_orders__vendor").order_by("-created_at", "-pk")


def support_search(*, query: str) -> SearchResults:
    """Read the box as what it looks like: an order number, a buyer email, a PaymentIntent, charge or
    transfer id, else a vendor's name or slug (its orders and listings) or a listing title."""
    from marketplace.models import Listing
    from payments.models import PaymentRecord
    from payouts.models import Transfer
    from vendors.models import Vendor

    text = " ".join(str(query or "").split())[:200]
    bare = text.lstrip("#")
    if not text:
        return SearchResults(query="", kind="")
    if bare.isdigit():
        return SearchResults(query=text, kind="order", orders=list(_orders().filter(pk=int(bare))[:1]))
    if "@" in text:
        found = _orders().filter(Q(email__iexact=text) | Q(buyer__email__iexact=text))
        return SearchResults(query=text, kind="email", orders=list(found[:SEARCH_LIMIT]))
    if text.startswith("pi_"):
        return SearchResults(query=text, kind="payment", orders=list(_orders().filter(payment_intent_id=text)[:5]))
    if text.startswith(("ch_", "py_")):
        intents = PaymentRecord.objects.filter(latest_charge=text).values("payment_intent_id")
        return SearchResults(query=text, kind="charge", orders=list(_orders().filter(payment_intent_id__in=intents)[:5]))
    if text.startswith("tr_"):
        orders = Transfer.objects.filter(stripe_transfer_id=text).values("order_id")
        return SearchResults(query=text, kind="transfer", orders=list(_orders().filter(pk__in=orders)[:5]))
    vendors = list(Vendor.objects.filter(Q(slug__iexact=text) | Q(name__icontains=text)).order_by("name")[:10])
    vendor_ids = [vendor.pk for vendor in vendors]
    listings = (Listing.objects.select_related("vendor").exclude(status=Listing.Status.DELETED)
                .filter(Q(vendor_id__in=vendor_ids) | Q(title__icontains=text)).order_by("title", "pk"))
    orders = _orders().filter(sub_orders__vendor_id__in=vendor_ids).distinct() if vendor_ids else _orders().none()
    return SearchResults(query=text, kind="text", vendors=vendors, orders=list(orders[:SEARCH_LIMIT]),
                         listings=list(listings[:SEARCH_LIMIT]))


def support_order(*, order_id: Any) -> Any:
    from orders.models import Order

    try:
        return (Order.objects.select_related("buyer").prefetch_related("sub_orders__vendor__store", "lines")
                .get(pk=int(order_id)))
    except (Order.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _who(user: Any, kind: str = "") -> str:
    email = getattr(user, "email", "") if user is not None else ""
    return f"{email} ({kind})" if email and kind else email or kind


def order_timeline(*, order: Any) -> list[TimelineEntry]:
    """Every step of the order, newest last: its and its parts' events, the vendors' fulfilment
    events (read in each vendor's schema), the payment, transfers, claims and card disputes."""
    from disputes.models import Chargeback, ClaimEvent, ClaimMessage
    from orders.models import OrderEvent
    from payments.models import PaymentRecord
    from payouts.models import TransferEvent, TransferReversal

    entries = [TimelineEntry(e.created_at, "order", e.kind, _who(e.actor, e.actor_kind), e.reason,
                             _data(e.data)) for e in OrderEvent.objects.filter(order=order).select_related("actor")]
    entries += _fulfilment_entries(order)
    for record in PaymentRecord.objects.filter(payment_intent_id=order.payment_intent_id) if order.payment_intent_id else ():
        entries.append(TimelineEntry(record.updated_at, "payment", f"payment {record.status}", "stripe",
                                     detail=f"{record.payment_intent_id} {record.latest_charge} {record.amount}"))
    for event in TransferEvent.objects.filter(transfer__order_id=order.pk).select_related("transfer", "actor"):
        entries.append(TimelineEntry(event.created_at, "transfer", f"transfer {event.from_status} → {event.to_status}",
                                     _who(event.actor, event.actor_kind), event.reason,
                                     f"{event.transfer.stripe_transfer_id} {event.transfer.amount}"))
    for reversal in TransferReversal.objects.filter(transfer__order_id=order.pk):
        entries.append(TimelineEntry(reversal.created_at, "transfer", "transfer reversed", "", reversal.reason,
                                     f"{reversal.amount} {reversal.stripe_reversal_id}"))
    for claim_event in ClaimEvent.objects.filter(claim__order=order).select_related("claim", "actor"):
        entries.append(TimelineEntry(claim_event.created_at, "claim",
                                     f"claim {claim_event.claim.number}: {claim_event.action}",
                                     _who(claim_event.actor), detail=_data(claim_event.data)))
    for message in ClaimMessage.objects.filter(claim__order=order).select_related("claim", "author"):
        entries.append(TimelineEntry(message.created_at, "claim", f"claim {message.claim.number}: message",
                                     _who(message.author, message.role), detail=message.body[:500]))
    for chargeback in Chargeback.objects.filter(order=order):
        entries.append(TimelineEntry(chargeback.created_at, "chargeback", f"card dispute {chargeback.stripe_status}",
                                     "bank", chargeback.reason, f"{chargeback.stripe_dispute_id} {chargeback.amount}"))
    return sorted(entries, key=lambda entry: entry.at)


def _fulfilment_entries(order: Any) -> list[TimelineEntry]:
    from django_tenants.utils import schema_context

    from fulfillment.models import VendorOrderEvent

    entries = []
    for sub in order.sub_orders.all():
        store = sub.vendor.store
        if store is None:
            continue
        with schema_context(store.schema_name):
            for event in VendorOrderEvent.objects.filter(vendor_order__sub_order_id=sub.pk).order_by("created_at"):
                entries.append(TimelineEntry(event.created_at, "fulfilment", f"{sub.vendor.name}: {event.kind}",
                                             f"{event.actor_email} ({event.actor_kind})".strip(), event.reason,
                                             _data(event.data)))
    return entries


def _data(data: Any) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted((data or {}).items()))[:400]


def takedowns_for_ops(*, status: str | None = None) -> QuerySet[Any]:
    from marketplace.models import ListingTakedown

    takedowns = ListingTakedown.objects.select_related("vendor", "listing").prefetch_related("events__actor")
    return takedowns.filter(status=status) if status else takedowns


def takedowns_for_vendor(*, vendor: Any) -> QuerySet[Any]:
    """A vendor's own takedowns only (the dashboard's list and its appeal pages)."""
    from marketplace.models import ListingTakedown

    return ListingTakedown.objects.filter(vendor=vendor).prefetch_related("events")
