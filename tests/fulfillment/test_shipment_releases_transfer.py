"""The last shipment of a sub-order releases its vendor's transfer right away (on commit, through
the real worker), not at the beat's next tick; released any number of times, it is sent once."""

from __future__ import annotations

import json
import urllib.request

import pytest

from fulfillment import services
from fulfillment.models import VendorOrder
from orders.models import SubOrder
from payouts.models import JournalEntry, Transfer
from tests.factories.orders import sellable_variant
from tests.support.stripe import connect
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _gateway_transfers(emulator, sub_order_id: int) -> list[dict]:
    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        transfers = json.loads(response.read())["objects"].get("transfer", [])
    return [t for t in transfers if str((t.get("metadata") or {}).get("sub_order_id")) == str(sub_order_id)]


def test_last_shipment_releases_the_transfer_without_the_beat_and_only_once(
    task_worker, paid_order, vendor_a, in_schema, emulator, settings
):
    from payouts.tasks import transfer_release_for_sub_order, transfers_release_due

    settings.PAYOUTS_HOLD_POLICY = "on_shipment"  # funds go out once the vendor has shipped
    connect(vendor_a, emulator)
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2500, stock=5), 2), token="ship-release")
    sub = order.sub_orders.get()
    transfer = wait_until(lambda: Transfer.objects.filter(sub_order_id=sub.pk).first(), message="transfer created")
    assert transfer.status == Transfer.Status.PENDING and transfer.release_at is None

    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        line = copy.lines.get()
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                   tracking_number="JD000000000000000001")
    wait_until(lambda: SubOrder.objects.get(pk=sub.pk).status == SubOrder.Status.PARTIALLY_FULFILLED,
               message="partial shipment synced")
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PENDING  # not everything shipped

    with in_schema(vendor_a):
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                   tracking_number="JD000000000000000002")
    # No beat runs in tests: only the release queued after the shipment's commit can send it.
    wait_until(lambda: Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.TRANSFERRED,
               timeout=30, message="transfer released after the last shipment")

    # A redelivered release, a concurrent one and the beat: nothing more goes out.
    results = [transfer_release_for_sub_order.delay(sub.pk), transfer_release_for_sub_order.delay(sub.pk),
               transfers_release_due.delay()]
    for result in results:
        result.get(timeout=30)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.TRANSFERRED and transfer.attempts == 1
    assert JournalEntry.objects.filter(kind="transfer", key=f"transfer:{transfer.stripe_transfer_id}").count() == 1
    remote = _gateway_transfers(emulator, sub.pk)
    assert [t["id"] for t in remote] == [transfer.stripe_transfer_id]
    assert remote[0]["amount"] == transfer.amount == sub.net_amount
