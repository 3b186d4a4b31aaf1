"""Carrier tracking: the provider interface, EasyPost's webhook shape, and routing an update from
the platform host to the vendor schema of its shipment (docs/adr/0079).

The webhook arrives on the platform host. Its receipt is stored once by event id in the public
schema first (`orders.TrackingReceipt`); the sub-order is found by its tracking number in the
public sub-orders' synced tracking (the order port), and the update is applied in that vendor's
schema only, bound to that vendor (row-level security), never in another's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from fulfillment.carriers import carrier_for_text, tracking_number_normalise
from fulfillment.errors import TrackingPayloadInvalid, TrackingSignatureInvalid
from fulfillment.models import Shipment, VendorOrder
from orders.models import SubOrder, TrackingReceipt
from vendors.row_security import vendor_scope


@dataclass(frozen=True)
class TrackingScan:
    status: str  # a Shipment.Status value
    occurred_at: datetime
    message: str = ""
    location: str = ""


@dataclass(frozen=True)
class TrackingUpdate:
    """One provider event about one parcel, in the project's terms."""

    event_id: str
    tracking_number: str
    carrier_code: str  # a registry code, or "" when the provider's carrier is not registered
    status: str
    scans: tuple[TrackingScan, ...]


class TrackingProvider(Protocol):
    name: str

    def verify(self, *, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        """Raise TrackingSignatureInvalid unless `body` was signed with `secret`."""
        ...

    def parse(self, *, body: bytes) -> TrackingUpdate:
        """The update in `body`; TrackingPayloadInvalid when it is not one."""
        ...


# EasyPost's tracker statuses folded onto the shipment's; "unknown" carries no information.
_EASYPOST_STATUSES: dict[str, str] = {
    "pre_transit": Shipment.Status.SHIPPED, "in_transit": Shipment.Status.IN_TRANSIT,
    "out_for_delivery": Shipment.Status.OUT_FOR_DELIVERY,
    "available_for_pickup": Shipment.Status.AVAILABLE_FOR_PICKUP, "delivered": Shipment.Status.DELIVERED,
    "return_to_sender": Shipment.Status.RETURNED, "failure": Shipment.Status.EXCEPTION,
    "error": Shipment.Status.EXCEPTION, "cancelled": Shipment.Status.EXCEPTION,
}
# EasyPost's carrier account names for the registry's carriers.
_EASYPOST_CARRIERS = {
    "dhlexpress": "dhl", "dhlpaket": "dhl", "dhlecommerce": "dhl", "deutschepost": "dhl", "ups": "ups",
    "fedex": "fedex", "usps": "usps", "royalmail": "royal_mail", "parcelforce": "royal_mail",
    "laposte": "la_poste", "colissimo": "la_poste", "dpd": "dpd", "dpduk": "dpd", "gls": "gls",
    "postnl": "postnl", "postnord": "postnord", "swisspost": "swiss_post", "inpost": "inpost",
    "correos": "correos", "posteitaliane": "poste_italiane", "canadapost": "canada_post",
}


def _when(value: Any) -> datetime | None:
    parsed = parse_datetime(str(value or ""))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


class EasyPostTracking:
    """EasyPost `tracker.created` / `tracker.updated` events, signed with the webhook's secret in
    `X-Hmac-Signature: hmac-sha256-hex=<hex>` (HMAC-SHA256 of the raw body)."""

    name = "easypost"
    header = "X-Hmac-Signature"

    @staticmethod
    def signature(*, body: bytes, secret: str) -> str:
        key = unicodedata.normalize("NFKD", secret).encode()
        return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def verify(self, *, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        given = headers.get(self.header, "") or ""
        if not secret or not hmac.compare_digest(given.encode(), self.signature(body=body, secret=secret).encode()):
            raise TrackingSignatureInvalid(_("The tracking webhook's signature does not match."))

    def parse(self, *, body: bytes) -> TrackingUpdate:
        try:
            event = json.loads(body)
            tracker = event["result"]
            event_id, number = str(event["id"]), tracking_number_normalise(str(tracker["tracking_code"]))
        except (ValueError, KeyError, TypeError):
            raise TrackingPayloadInvalid(_("Not a tracker event.")) from None
        if tracker.get("object") != "Tracker" or not number or not event_id:
            raise TrackingPayloadInvalid(_("Not a tracker event."))
        scans = []
        for detail in tracker.get("tracking_details") or []:
            status, at = _EASYPOST_STATUSES.get(str(detail.get("status"))), _when(detail.get("datetime"))
            if status is None or at is None:
                continue
            place = detail.get("tracking_location") or {}
            location = ", ".join(str(place[k]) for k in ("city", "state", "country") if place.get(k))
            scans.append(TrackingScan(status, at, str(detail.get("message") or ""), location))
        status = _EASYPOST_STATUSES.get(str(tracker.get("status")), "")
        at = _when(tracker.get("updated_at")) or _when(event.get("created_at"))
        # The tracker's own status counts even when its details were trimmed.
        if status and at and not any(scan.status == status for scan in scans):
            scans.append(TrackingScan(status, at, str(tracker.get("status_detail") or "")))
        carrier_name = "".join(ch for ch in str(tracker.get("carrier") or "").lower() if ch.isalnum())
        registered = carrier_for_text(carrier_name)
        known = _EASYPOST_CARRIERS.get(carrier_name) or (registered.code if registered else "")
        return TrackingUpdate(event_id[:100], number[:64], known, status, tuple(scans))


PROVIDERS: dict[str, TrackingProvider] = {EasyPostTracking.name: EasyPostTracking()}


def tracking_provider(name: str) -> TrackingProvider | None:
    return PROVIDERS.get(name)


# ---------------------------------------------------------------------------------------------
# routing and applying


def _scan_fingerprint(provider: str, scan: TrackingScan) -> str:
    raw = f"{scan.status}|{scan.occurred_at.isoformat()}|{scan.message}|{scan.location}"
    return f"{provider}:{hashlib.sha256(raw.encode()).hexdigest()[:40]}"


def _sub_orders_for(update: TrackingUpdate) -> list[SubOrder]:
    """Sub-orders whose synced tracking lists this number (and, when the provider names a
    registered carrier, that carrier)."""
    entry: dict[str, str] = {"tracking_number": update.tracking_number}
    if update.carrier_code:
        entry["carrier_code"] = update.carrier_code
    return list(SubOrder.objects.select_related("vendor__store").filter(tracking__contains=[entry])
                .exclude(vendor__store__isnull=True).order_by("pk"))


def shipment_tracking_apply(*, sub_order_id: int, update: TrackingUpdate, provider: str) -> int:
    """In the current (vendor) schema: store the update's scans on this sub-order's shipments of
    that number and move them; the order becomes delivered when its last parcel is. Returns how
    many scans were new (0 for a duplicate delivery)."""
    from fulfillment.services import _locked, shipment_status_apply, vendor_order_delivery_check

    with transaction.atomic():
        vendor_order_id = VendorOrder.objects.filter(sub_order_id=sub_order_id).values_list("pk", flat=True).first()
        if vendor_order_id is None:
            return 0
        vendor_order = _locked(vendor_order_id)
        new = 0
        for shipment in vendor_order.shipments.select_for_update().filter(tracking_number=update.tracking_number):
            for scan in sorted(update.scans, key=lambda s: s.occurred_at):
                new += shipment_status_apply(
                    shipment=shipment, status=scan.status, occurred_at=scan.occurred_at, source=provider,
                    message=scan.message, location=scan.location, fingerprint=_scan_fingerprint(provider, scan))
        vendor_order_delivery_check(vendor_order=vendor_order, reason=_("Delivered (carrier tracking)"))
        # A scan short of delivery still shows on the buyer's order page.
        if new and vendor_order.status != VendorOrder.Status.DELIVERED:
            from fulfillment.services import _sync_soon

            _sync_soon(vendor_order.sub_order_id)
        return new


def _receipt_store(*, provider: str, update: TrackingUpdate, payload: Any) -> tuple[TrackingReceipt, bool]:
    try:
        with transaction.atomic():
            return TrackingReceipt.objects.get_or_create(
                provider=provider, event_id=update.event_id,
                defaults={"tracking_number": update.tracking_number, "carrier": update.carrier_code,
                          "status": update.status, "payload": payload,
                          "outcome": TrackingReceipt.Outcome.UNMATCHED})
    except IntegrityError:  # the same event delivered twice at the same moment
        return TrackingReceipt.objects.get(provider=provider, event_id=update.event_id), False


def tracking_webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> TrackingReceipt:
    """Verify, store once, route and apply one tracking webhook. A bad signature or payload raises
    before anything is stored; an event for no known shipment is kept as unmatched (a redelivery
    once the shipment's tracking is synced applies it)."""
    provider = tracking_provider(provider_name)
    if provider is None:
        raise TrackingPayloadInvalid(_("Unknown tracking provider."))
    provider.verify(body=body, headers=headers, secret=str(getattr(settings, "TRACKING_WEBHOOK_SECRET", "")))
    update = provider.parse(body=body)
    receipt, _created = _receipt_store(provider=provider.name, update=update, payload=json.loads(body))
    if receipt.outcome == TrackingReceipt.Outcome.APPLIED:
        return receipt
    sub_orders = _sub_orders_for(update)
    for sub_order in sub_orders:
        store = sub_order.vendor.store
        assert store is not None
        with schema_context(store.schema_name), vendor_scope(store.schema_name):
            shipment_tracking_apply(sub_order_id=sub_order.pk, update=update, provider=provider.name)
    if sub_orders:
        receipt.outcome, receipt.sub_order_id, receipt.applied_at = (
            TrackingReceipt.Outcome.APPLIED, sub_orders[0].pk, timezone.now())
        receipt.save(update_fields=["outcome", "sub_order_id", "applied_at"])
    return receipt
