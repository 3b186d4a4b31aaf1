"""Carrier tracking webhooks (EasyPost's shape) with the signed samples shipped in the repo: the
signature, storage once, routing to the shipment's own vendor schema, delivered as a state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from fulfillment import services
from fulfillment.models import Shipment, ShipmentTrackingEvent, VendorOrder
from fulfillment.tracking import EasyPostTracking
from notifications.models import Notification
from orders.models import SubOrder, TrackingReceipt
from orders.services import sub_order_sync
from tests.factories.orders import paid_orders, sellable_variant

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "easypost"
SIGNATURES = json.loads((SAMPLES / "signatures.json").read_text())
NUMBER = "JD014600006281230704"  # the parcel of the samples
URL = "/webhooks/tracking/easypost/"


def _post(client: Any, name: str, signature: str | None = None) -> Any:
    body = (SAMPLES / name).read_bytes()
    header = SIGNATURES["signatures"][name] if signature is None else signature
    return client.post(URL, body, content_type="application/json", HTTP_X_HMAC_SIGNATURE=header)


@pytest.fixture
def shipped(shopper: Any, gateway_on_emulator: Any, vendor_a: Any, in_schema: Any) -> Any:
    """Vendor A's order shipped in full as the samples' DHL parcel, its tracking synced to the public side."""
    order = paid_orders(shopper)((vendor_a, sellable_variant(vendor_a, price=1800, stock=5), 1))
    sub = order.sub_orders.get()
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={copy.lines.get().pk: 1}, carrier="dhl",
                                   tracking_number=NUMBER)
    sub_order_sync(sub_order_id=sub.pk)
    return sub


def test_the_samples_are_signed_with_the_test_secret() -> None:
    assert SIGNATURES["secret"] == settings.TRACKING_WEBHOOK_SECRET
    for name, header in SIGNATURES["signatures"].items():
        assert EasyPostTracking.signature(body=(SAMPLES / name).read_bytes(), secret=SIGNATURES["secret"]) == header


def test_bad_signature_is_refused_and_nothing_is_stored(platform_client: Any, shipped: Any, vendor_a: Any,
                                                        in_schema: Any) -> None:
    body = (SAMPLES / "tracker_delivered.json").read_bytes()
    forged = EasyPostTracking.signature(body=body, secret="not-the-secret")
    for header in (forged, "", SIGNATURES["signatures"]["tracker_in_transit.json"]):
        response = _post(platform_client, "tracker_delivered.json", signature=header)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "tracking_signature_invalid"
    assert not TrackingReceipt.objects.exists()
    with in_schema(vendor_a):
        assert not ShipmentTrackingEvent.objects.exists()
        assert Shipment.objects.get().status == Shipment.Status.SHIPPED


def test_no_secret_configured_refuses_every_delivery(platform_client: Any, settings: Any) -> None:
    settings.TRACKING_WEBHOOK_SECRET = ""
    assert _post(platform_client, "tracker_delivered.json").status_code == 400
    assert not TrackingReceipt.objects.exists()


def test_unknown_parcel_is_kept_as_unmatched_and_answered_404(platform_client: Any, shipped: Any) -> None:
    response = _post(platform_client, "tracker_unknown_parcel.json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "tracking_unmatched"
    receipt = TrackingReceipt.objects.get()
    assert receipt.outcome == TrackingReceipt.Outcome.UNMATCHED and receipt.tracking_number == "JD014600009999999999"
    assert receipt.payload["id"] == "evt_0c1d2e3f4a5b6c7d"  # kept whole: nothing lost


def test_delivered_event_makes_shipment_order_and_sub_order_delivered_and_tells_the_buyer(
    platform_client: Any, shipped: Any, vendor_a: Any, in_schema: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    response = _post(platform_client, "tracker_delivered.json")
    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    with in_schema(vendor_a):
        shipment = Shipment.objects.get()
        assert shipment.status == Shipment.Status.DELIVERED
        assert shipment.delivered_at.isoformat() == "2026-12-02T10:30:00+00:00"
        assert [e.status for e in shipment.tracking_events.all()] == [
            "shipped", "in_transit", "out_for_delivery", "delivered"]
        copy = VendorOrder.objects.get()
        assert copy.status == VendorOrder.Status.DELIVERED and copy.delivered_at == shipment.delivered_at
        assert copy.events.filter(kind="vendor_order.delivered", actor_kind="system").exists()
    with django_capture_on_commit_callbacks(execute=True):
        sub_order_sync(sub_order_id=shipped.pk)
    sub = SubOrder.objects.get(pk=shipped.pk)
    assert sub.status == SubOrder.Status.DELIVERED and sub.delivered_at == shipment.delivered_at
    assert sub.tracking[0]["status"] == "delivered"
    assert sub.tracking[0]["tracking_url"].endswith(f"tracking-id={NUMBER}")
    notice = Notification.objects.get(kind="order_delivered", recipient=sub.order.buyer)
    assert notice.link.endswith(f"/orders/{sub.order_id}/")
    assert any("was delivered" in m.subject and m.to == [sub.order.buyer.email] for m in mail.outbox)


def test_duplicate_and_out_of_order_events_change_nothing(platform_client: Any, shipped: Any, vendor_a: Any,
                                                          in_schema: Any) -> None:
    assert _post(platform_client, "tracker_delivered.json").status_code == 200
    again = _post(platform_client, "tracker_delivered.json")  # the provider's retry
    assert again.status_code == 200 and TrackingReceipt.objects.count() == 1
    late = _post(platform_client, "tracker_in_transit.json")  # an older event arriving last
    assert late.status_code == 200
    with in_schema(vendor_a):
        shipment = Shipment.objects.get()
        assert shipment.status == Shipment.Status.DELIVERED  # never taken back
        assert shipment.tracking_events.count() == 4  # the late event's scans were already stored
        assert VendorOrder.objects.get().status == VendorOrder.Status.DELIVERED
    assert TrackingReceipt.objects.filter(outcome="applied").count() == 2


def test_an_in_transit_event_moves_the_shipment_only(platform_client: Any, shipped: Any, vendor_a: Any,
                                                     in_schema: Any) -> None:
    assert _post(platform_client, "tracker_in_transit.json").status_code == 200
    with in_schema(vendor_a):
        assert Shipment.objects.get().status == Shipment.Status.IN_TRANSIT
        assert VendorOrder.objects.get().status == VendorOrder.Status.SHIPPED


def test_the_update_reaches_only_the_schema_of_its_shipment(platform_client: Any, shipped: Any, vendor_a: Any,
                                                            vendor_b: Any, in_schema: Any, shopper: Any,
                                                            client_for: Any) -> None:
    """Vendor B ships a parcel of its own: A's delivered event never touches B's schema, and B's
    dashboard shows nothing of A's tracking."""
    order_b = paid_orders(shopper)((vendor_b, sellable_variant(vendor_b, price=900, stock=5), 1))
    with in_schema(vendor_b):
        copy_b = VendorOrder.objects.get(sub_order_id=order_b.sub_orders.get().pk)
        services.vendor_order_ship(vendor_order_id=copy_b.pk, quantities={copy_b.lines.get().pk: 1}, carrier="ups",
                                   tracking_number="1Z999AA10123456784")
    assert _post(platform_client, "tracker_delivered.json").status_code == 200
    with in_schema(vendor_b):
        assert not ShipmentTrackingEvent.objects.exists()
        assert VendorOrder.objects.get().status == VendorOrder.Status.SHIPPED
        assert not VendorOrder.objects.filter(sub_order_id=shipped.pk).exists()
    client = client_for(vendor_b, vendor_b.memberships.get(role="owner").user)
    for url in ("/dashboard/orders/", f"/dashboard/orders/{copy_b.pk}/", f"/api/v1/vendor/orders/{copy_b.pk}/"):
        page = client.get(url).content.decode()
        assert NUMBER not in page and "signed by J. DOE" not in page, url


def test_scans_apply_by_the_carriers_time_and_delivered_is_never_taken_back(shipped: Any, vendor_a: Any,
                                                                          in_schema: Any) -> None:
    from datetime import UTC, datetime

    t = [datetime(2026, 12, day, 9, 0, tzinfo=UTC) for day in (1, 2, 3, 4)]
    with in_schema(vendor_a):
        shipment = Shipment.objects.get()
        assert services.shipment_status_apply(shipment=shipment, status="out_for_delivery", occurred_at=t[2],
                                              source="easypost")
        services.shipment_status_apply(shipment=shipment, status="in_transit", occurred_at=t[1], source="easypost")
        assert shipment.status == "out_for_delivery"  # an older scan arriving later changes nothing
        services.shipment_status_apply(shipment=shipment, status="delivered", occurred_at=t[3], source="easypost")
        services.shipment_status_apply(shipment=shipment, status="exception", occurred_at=datetime(
            2026, 12, 5, tzinfo=UTC), source="easypost")
        shipment.refresh_from_db()
        assert (shipment.status, shipment.delivered_at) == ("delivered", t[3])
        assert not services.shipment_status_apply(shipment=shipment, status="delivered", occurred_at=t[3],
                                                  source="easypost")  # the same scan again: not stored
        assert shipment.tracking_events.count() == 4
