"""Fulfilment writes in the vendor's schema: the order copy, shipments, line cancellations.

Each runs in the schema its caller entered (a dashboard request on the vendor's host, or a task
that named the schema); the public sub-order is updated afterwards by `orders.tasks.sub_order_sync`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import Conflict
from fulfillment.carriers import OTHER, CarrierChoice, carrier_tracking_check
from fulfillment.errors import (
    InvalidCancellation,
    InvalidShipment,
    VendorOrderClosed,
    VendorOrderNotFound,
    VendorOrderOnHold,
)
from fulfillment.events import vendor_order_event_record, vendor_order_move
from fulfillment.models import (
    Shipment,
    ShipmentLine,
    ShipmentTrackingEvent,
    VendorOrder,
    VendorOrderLine,
)
from orders.events import actor_of, order_event_record


def _current_schema() -> str:
    return str(getattr(connection, "schema_name", ""))


def _sync_soon(sub_order_id: int, *, release_transfer: bool = False) -> None:
    """After commit: copy the vendor's state onto the public sub-order; with `release_transfer`
    (its last shipment), then release the vendor's transfer at once when the hold policy makes it
    due, instead of waiting for the beat (which stays the safety net: docs/payouts.md)."""
    from orders.tasks import sub_order_sync

    # Queued from the public side: the task reads the vendor schema of that sub-order only.
    def queue() -> None:
        from celery import chain, signature
        from django_tenants.utils import schema_context

        with schema_context("public"):
            if release_transfer:
                # In order: the release reads the sub-order's shipped state that the sync writes.
                # Payouts' task by name: fulfillment comes before payouts (docs/adr/0041).
                release = signature("payouts.tasks.transfer_release_for_sub_order", args=(sub_order_id,),
                                    immutable=True)
                chain(sub_order_sync.si(sub_order_id), release).delay()
            else:
                sub_order_sync.delay(sub_order_id)

    transaction.on_commit(queue)


@transaction.atomic
def vendor_order_create(*, sub_order_id: int) -> tuple[VendorOrder, bool]:
    """The vendor's copy of a paid sub-order (idempotent: one copy per sub-order).

    Made under the public sub-order's row lock, the lock every refund of this vendor part takes
    first: a claim refunded before the copy existed is carried into it, never lost by a later sync.
    """
    from orders.models import SubOrder

    existing = VendorOrder.objects.filter(sub_order_id=sub_order_id).first()
    if existing is not None:
        return existing, False
    sub = SubOrder.objects.select_for_update(of=("self",)).select_related("order", "vendor__store").get(
        pk=sub_order_id)
    if sub.vendor.store is None or sub.vendor.store.schema_name != _current_schema():
        raise Conflict("A vendor order is created only in its own vendor's schema.")
    existing = VendorOrder.objects.filter(sub_order_id=sub_order_id).first()  # made while we waited
    if existing is not None:
        return existing, False
    order = sub.order
    if order.paid_at is None:
        raise Conflict(f"Order {order.pk} is not paid.")
    copy = VendorOrder.objects.create(
        sub_order_id=sub.pk, order_id=order.pk, order_number=order.number,
        payment_intent_id=order.payment_intent_id, buyer_email=order.email,
        currency=order.currency, tax_display=order.tax_display,
        subtotal_amount=sub.subtotal_amount, shipping_amount=sub.shipping_amount,
        tax_amount=sub.tax_amount, total_amount=sub.total_amount, shipping_name=sub.shipping_name,
        ship_name=order.ship_name, ship_line1=order.ship_line1, ship_line2=order.ship_line2,
        ship_city=order.ship_city, ship_region=order.ship_region,
        ship_postal_code=order.ship_postal_code, ship_country=order.ship_country,
        placed_at=order.paid_at, refunded_amount=sub.refunded_amount,
    )
    VendorOrderLine.objects.bulk_create(
        VendorOrderLine(
            vendor_order=copy, order_line_id=line.pk, product_id=line.product_id,
            variant_id=line.variant_id, sku=line.sku, name=line.name, quantity=line.quantity,
            unit_price_amount=line.unit_price_amount, line_amount=line.line_amount,
            tax_amount=line.tax_amount, refunded_amount=line.refunded_amount, discount_amount=line.discount_amount,
        )
        for line in sub.lines.all()
    )
    vendor_order_event_record(vendor_order=copy, kind="vendor_order.received", to_status=copy.status)
    return copy, True


def vendor_order_refund_record(*, sub_order_id: int, line_parts: dict[int, int], amount: int) -> None:
    """Add a refund made on the public order (a claim's, a support agent's) to the vendor's copy,
    so the copy's sync back to the public order keeps it: `line_parts` per public order line id,
    `amount` in all (it may include shipping). Runs in the vendor's schema, under the public
    sub-order's row lock the caller holds. No copy yet: nothing to do, `vendor_order_create`
    carries the public refunds into the copy it makes (adding them here too would count them twice)."""
    copy = VendorOrder.objects.select_for_update().filter(sub_order_id=sub_order_id).first()
    if copy is None:
        return
    for order_line_id, part in line_parts.items():
        VendorOrderLine.objects.filter(vendor_order=copy, order_line_id=order_line_id).update(
            refunded_amount=F("refunded_amount") + part)
    VendorOrder.objects.filter(pk=copy.pk).update(refunded_amount=F("refunded_amount") + amount)


def _locked(vendor_order_id: Any) -> VendorOrder:
    """The vendor order, locked, after the public sub-order's row lock.

    One lock order for every change of a vendor's part (this module, claim refunds, the buyer's
    cancellation): public sub-order first, then the vendor's copy. Refunds of the same part then
    run one after the other, each seeing what the previous one refunded, and never deadlock.
    """
    from orders.models import SubOrder

    try:
        pk = int(vendor_order_id)
        sub_order_id = VendorOrder.objects.values_list("sub_order_id", flat=True).get(pk=pk)
    except (VendorOrder.DoesNotExist, TypeError, ValueError):
        raise VendorOrderNotFound(_("Order not found.")) from None
    list(SubOrder.objects.select_for_update().filter(pk=sub_order_id).values_list("pk", flat=True))
    return VendorOrder.objects.select_for_update().get(pk=pk)


def _status_recompute(vendor_order: VendorOrder, *, user: Any = None, actor_kind: str = "system",
                      data: dict[str, Any] | None = None) -> bool:
    """Derive the status from the lines and move there (refunded amount saved either way);
    True when the status moved."""
    lines = list(vendor_order.lines.all())
    quantity = sum(line.quantity for line in lines)
    shipped = sum(line.shipped_quantity for line in lines)
    cancelled = sum(line.cancelled_quantity for line in lines)
    if cancelled >= quantity:
        status = VendorOrder.Status.CANCELLED
    elif shipped + cancelled >= quantity:
        status = VendorOrder.Status.SHIPPED
    elif shipped:
        status = VendorOrder.Status.PARTIALLY_SHIPPED
    else:
        status = VendorOrder.Status.NEW
    event = vendor_order_move(vendor_order=vendor_order, to=status, user=user, actor_kind=actor_kind, data=data,
                              fields=["refunded_amount"])
    return event is not None


@transaction.atomic
def vendor_order_ship(
    *, vendor_order_id: Any, quantities: dict[Any, Any], carrier: str, tracking_number: str,
    user: Any = None, carrier_name: str = "",
) -> Shipment:
    """Record a shipment of some lines (partial shipments allowed) with a carrier of the registry
    (or "other" with its name) and a tracking number in that carrier's format."""
    from orders.services.risk import order_ship_allowed

    vendor_order = _locked(vendor_order_id)
    # Read under the sub-order's row lock, which an admin's refusal also takes: a refused order
    # never ships, an approved one ships at once.
    if not order_ship_allowed(order_id=vendor_order.order_id):
        raise VendorOrderOnHold(_("This order is on hold for review by the marketplace. Do not ship it "
                                  "until it is approved."))
    errors: dict[str, list[str]] = {}
    choice: CarrierChoice | None = None
    try:
        choice = carrier_tracking_check(carrier=carrier, tracking_number=tracking_number, other_name=carrier_name)
    except InvalidShipment as exc:
        errors.update(exc.fields or {})
    lines = {line.pk: line for line in vendor_order.lines.select_for_update()}
    wanted: dict[int, int] = {}
    for raw_id, raw_quantity in (quantities or {}).items():
        try:
            line_id, quantity = int(raw_id), int(raw_quantity or 0)
        except (TypeError, ValueError):
            errors.setdefault("lines", []).append(_("Quantities are whole numbers."))
            continue
        if quantity == 0:
            continue
        line = lines.get(line_id)
        if line is None:
            errors.setdefault("lines", []).append(_("Unknown line %(id)s.") % {"id": line_id})
        elif quantity < 0 or quantity > line.open_quantity:
            errors.setdefault("lines", []).append(
                _("%(sku)s: ship between 1 and %(open)s.") % {"sku": line.sku, "open": line.open_quantity}
            )
        else:
            wanted[line_id] = quantity
    if not wanted and "lines" not in errors:
        errors["lines"] = [_("Choose at least one item to ship.")]
    if errors or choice is None:
        raise InvalidShipment(_("Please correct the shipment."), fields=errors)
    shipment = Shipment.objects.create(
        vendor_order=vendor_order, carrier=choice.code,
        carrier_name=choice.name if choice.code == OTHER else "", tracking_number=choice.tracking_number,
        user_id=getattr(user, "pk", None),
    )
    for line_id, quantity in wanted.items():
        ShipmentLine.objects.create(shipment=shipment, line_id=line_id, quantity=quantity)
        VendorOrderLine.objects.filter(pk=line_id).update(shipped_quantity=F("shipped_quantity") + quantity)
    data = {"shipment_id": shipment.pk, "carrier": choice.name, "carrier_code": choice.code,
            "tracking_number": choice.tracking_number}
    if not _status_recompute(vendor_order, user=user, actor_kind="vendor", data=data):
        vendor_order_event_record(vendor_order=vendor_order, kind="vendor_order.shipment", user=user,
                                  actor_kind="vendor", data=data)
    _sync_soon(vendor_order.sub_order_id, release_transfer=vendor_order.status == VendorOrder.Status.SHIPPED)
    return shipment


@transaction.atomic
def vendor_order_mark_delivered(*, vendor_order_id: Any, user: Any = None, note: str = "") -> VendorOrder:
    """The vendor handed every parcel over (a pickup, or a carrier without tracking): each shipment
    not yet delivered is marked so now, and the order becomes delivered (in its timeline)."""
    vendor_order = _locked(vendor_order_id)
    if vendor_order.status != VendorOrder.Status.SHIPPED:
        raise VendorOrderClosed(_("Only an order shipped in full can be marked delivered."))
    now = timezone.now()
    for shipment in vendor_order.shipments.select_for_update().exclude(status=Shipment.Status.DELIVERED):
        shipment_status_apply(shipment=shipment, status=Shipment.Status.DELIVERED, occurred_at=now,
                              source="vendor", message=note or _("Handed over by the vendor"))
    vendor_order_delivery_check(vendor_order=vendor_order, user=user, actor_kind="vendor",
                                reason=note or _("Marked delivered by the vendor"))
    return vendor_order


def shipment_status_apply(*, shipment: Shipment, status: str, occurred_at: Any, source: str, message: str = "",
                          location: str = "", fingerprint: str = "") -> bool:
    """Store one tracking event of a locked shipment (once per fingerprint) and move the shipment
    to its status when the event is newer than the one that set it. Delivered stays delivered:
    scans arriving late or out of order never take it back. True when the event was new."""
    fingerprint = (fingerprint or f"{source}:{status}:{occurred_at.isoformat()}")[:64]
    _row, created = ShipmentTrackingEvent.objects.get_or_create(
        shipment=shipment, fingerprint=fingerprint,
        defaults={"status": status, "occurred_at": occurred_at, "source": source[:24], "message": message[:300],
                  "location": location[:200]},
    )
    if not created:
        return False
    newer = shipment.status_at is None or occurred_at >= shipment.status_at
    fields = []
    if status == Shipment.Status.DELIVERED and shipment.delivered_at is None:
        shipment.status, shipment.status_at, shipment.delivered_at = status, occurred_at, occurred_at
        fields = ["status", "status_at", "delivered_at"]
    elif newer and shipment.status != Shipment.Status.DELIVERED:
        shipment.status, shipment.status_at = status, occurred_at
        fields = ["status", "status_at"]
    if fields:
        shipment.save(update_fields=fields)
    return True


def vendor_order_delivery_check(*, vendor_order: VendorOrder, user: Any = None, actor_kind: str = "system",
                                reason: str = "") -> bool:
    """A locked, fully shipped order whose every parcel arrived becomes delivered, at its last
    parcel's time; the public sub-order follows (and the transfer's release date with it)."""
    shipments = list(vendor_order.shipments.all())
    if vendor_order.status != VendorOrder.Status.SHIPPED or not shipments:
        return False
    if any(s.delivered_at is None for s in shipments):
        return False
    vendor_order.delivered_at = max(s.delivered_at for s in shipments if s.delivered_at is not None)
    vendor_order_move(vendor_order=vendor_order, to=VendorOrder.Status.DELIVERED, user=user, actor_kind=actor_kind,
                      reason=reason, fields=["delivered_at"],
                      data={"delivered_at": vendor_order.delivered_at.isoformat()})
    _sync_soon(vendor_order.sub_order_id, release_transfer=True)
    return True


def refund_for_units(*, charge: int, quantity: int, units: int) -> int:
    """The part of a line's charge for `units` of `quantity` (floor; the last unit takes the rest)."""
    return charge if units >= quantity else charge * units // quantity


def _refund_recorded(*, vendor_order: VendorOrder, vendor_id: int, refund_id: str, amount: int, commission: int,
                     refund_commission: bool, user: Any, by: str, reason: str) -> None:
    """A refund of part of the vendor's order, as an order event. Payouts hears it: in this
    transaction it posts the refund to the ledger (the vendor's payable gives back `amount` less
    `commission`, the platform its commission); after commit it takes the vendor's part back
    from its transfer (docs/adr/0041)."""
    order_event_record(
        order_id=vendor_order.order_id, sub_order_id=vendor_order.sub_order_id, kind="sub_order.refund",
        actor=actor_of(user, by), reason=reason,
        data={"refund_id": refund_id, "amount": amount, "commission": commission, "currency": vendor_order.currency,
              "vendor_id": vendor_id, "refund_commission": refund_commission, "vendor_part": amount - commission},
    )


def _ledger_refund(*, vendor_order: VendorOrder, line: VendorOrderLine, units: int, amount: int,
                   units_price: int, refund_id: str, user: Any = None, by: str = "vendor") -> int:
    """The vendor could not ship: the buyer is refunded from the vendor's payable, and the
    platform gives back its commission on those units (policy: the buyer's loss is nobody's fee)."""
    from orders.models import OrderLine

    public_line = OrderLine.objects.select_related("vendor__store").get(pk=line.order_line_id)
    if public_line.vendor.store is None or public_line.vendor.store.schema_name != _current_schema():
        raise Conflict("An order line is refunded only from its own vendor's schema.")
    commission_before = refund_for_units(charge=public_line.commission_amount, quantity=line.quantity,
                                         units=line.cancelled_quantity)
    commission_after = refund_for_units(charge=public_line.commission_amount, quantity=line.quantity,
                                        units=line.cancelled_quantity + units)
    # The commission on these units, in proportion when an earlier claim refund left less to give
    # back than their price (that refund already settled its own share of the commission).
    commission = commission_after - commission_before
    if amount < units_price:
        commission = commission * amount // units_price
    commission = min(amount, commission)
    _refund_recorded(vendor_order=vendor_order, vendor_id=public_line.vendor_id, refund_id=refund_id, amount=amount,
                     commission=commission, refund_commission=True, user=user, by=by,
                     reason=f"{units} × {line.sku} cancelled by the {by}")
    return commission


@transaction.atomic
def vendor_order_line_cancel(*, vendor_order_id: Any, line_id: Any, quantity: Any, user: Any = None,
                             by: str = "vendor") -> VendorOrderLine:
    """Cancel units the vendor cannot ship: refund them through the gateway, return the stock."""
    from catalog.services import stock_release
    from payments import gateway

    vendor_order = _locked(vendor_order_id)
    try:
        line = vendor_order.lines.select_for_update().get(pk=int(line_id))
    except (VendorOrderLine.DoesNotExist, TypeError, ValueError):
        raise VendorOrderNotFound(_("Order line not found.")) from None
    try:
        units = int(quantity)
    except (TypeError, ValueError):
        units = 0
    if not 1 <= units <= line.open_quantity:
        message = _("Cancel between 1 and %(open)s.") % {"open": line.open_quantity}
        if line.open_quantity == 0:
            raise VendorOrderClosed(_("Every unit of this line is already shipped or cancelled."))
        raise InvalidCancellation(message, fields={"quantity": [message]})
    # What the buyer paid for the line: after its discounts (docs/adr/0094), with tax added on top.
    charge = line.line_amount - line.discount_amount + (line.tax_amount if vendor_order.tax_display == "exclusive" else 0)
    before = refund_for_units(charge=charge, quantity=line.quantity, units=line.cancelled_quantity)
    after = refund_for_units(charge=charge, quantity=line.quantity, units=line.cancelled_quantity + units)
    units_price = after - before
    # A claim may already have refunded part of this line: the buyer never gets back more than
    # the line cost, whatever the order of claims and cancellations.
    amount = max(0, min(units_price, charge - line.refunded_amount))
    if amount > 0:
        # Keyed by the line and the cancelled total: a retry makes no second refund.
        refund = gateway.refund_create(
            key=f"orderline:{line.order_line_id}:cancelled:{line.cancelled_quantity + units}",
            payment_intent_id=vendor_order.payment_intent_id, amount=amount,
            metadata={"order_id": vendor_order.order_id, "order_line_id": line.order_line_id,
                      "sub_order_id": vendor_order.sub_order_id},
        )
        _ledger_refund(
            vendor_order=vendor_order, line=line, units=units, amount=amount, units_price=units_price,
            refund_id=refund.id, user=user, by=by,
        )
    line.cancelled_quantity += units
    line.refunded_amount += amount
    line.save(update_fields=["cancelled_quantity", "refunded_amount"])
    vendor_order.refunded_amount += amount
    stock_release(lines=[(line.variant_id, units)],
                  note=f"order {vendor_order.order_number}: {units} cancelled by the {by}",
                  user_id=getattr(user, "pk", None), user_email=getattr(user, "email", "") or "")
    _status_recompute(vendor_order, user=user, actor_kind=by,
                      data={"line_id": line.pk, "sku": line.sku, "units": units, "refunded": amount})
    # The rest cancelled after every shipped parcel arrived: the order is delivered now.
    if not vendor_order_delivery_check(vendor_order=vendor_order):
        _sync_soon(vendor_order.sub_order_id)
    return line


@transaction.atomic
def vendor_order_cancel_all(*, vendor_order_id: Any, user: Any = None, by: str = "buyer") -> VendorOrder:
    """Cancel a vendor's part of an order before anything of it has shipped: every unit is
    refunded and returned to stock (as a line cancellation), and so is its shipping, which the
    vendor had been paid for. All or nothing, under the order's row lock, so a shipment being
    recorded at the same moment either comes first (and this refuses) or waits."""
    from orders.models import SubOrder
    from payments import gateway

    vendor_order = _locked(vendor_order_id)
    lines = list(vendor_order.lines.select_for_update().order_by("pk"))
    if any(line.shipped_quantity for line in lines):
        raise VendorOrderClosed(_("Part of this order has already shipped, so it can no longer be cancelled. "
                                  "Open a claim for what you received instead."))
    open_lines = [line for line in lines if line.open_quantity]
    if not open_lines:
        raise VendorOrderClosed(_("This order is already cancelled."))
    for line in open_lines:
        vendor_order_line_cancel(vendor_order_id=vendor_order.pk, line_id=line.pk, quantity=line.open_quantity,
                                 user=user, by=by)
    vendor_order.refresh_from_db()
    shipping = vendor_order.shipping_amount
    if shipping > 0:
        refund = gateway.refund_create(
            key=f"suborder:{vendor_order.sub_order_id}:shipping", payment_intent_id=vendor_order.payment_intent_id,
            amount=shipping, metadata={"order_id": vendor_order.order_id, "sub_order_id": vendor_order.sub_order_id,
                                       "reason": "shipping of a cancelled order"},
        )
        vendor_id = SubOrder.objects.values_list("vendor_id", flat=True).get(pk=vendor_order.sub_order_id)
        # Shipping carries no commission: the vendor's payable gives it all back.
        _refund_recorded(vendor_order=vendor_order, vendor_id=vendor_id, refund_id=refund.id, amount=shipping,
                         commission=0, refund_commission=False, user=user, by=by,
                         reason=f"shipping of an order cancelled by the {by}")
        vendor_order.refunded_amount += shipping
        vendor_order.save(update_fields=["refunded_amount", "updated_at"])
    return vendor_order
