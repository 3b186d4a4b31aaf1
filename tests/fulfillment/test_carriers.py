"""The carrier registry: formats, links, "other", and shipping refusing a number in the wrong format
(a form error on the page, 400 with the field on the API, nothing written)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from fulfillment.carriers import (
    CARRIERS,
    OTHER,
    carrier_for_text,
    carrier_get,
    carrier_tracking_check,
    tracking_number_normalise,
)
from fulfillment.errors import InvalidShipment
from fulfillment.models import Shipment, VendorOrder
from tests.factories.orders import paid_orders, sellable_variant

REQUIRED = {"dhl", "ups", "fedex", "usps", "royal_mail", "la_poste", "dpd", "gls", "postnl"}


def test_the_registry_holds_the_required_carriers_each_with_a_format_and_a_link() -> None:
    codes = {carrier.code for carrier in CARRIERS}
    assert codes >= REQUIRED and len(codes) == len(CARRIERS) >= 12
    for carrier in CARRIERS:
        assert carrier.accepts(carrier.example), carrier.code
        assert carrier.tracking_url(carrier.example).startswith("https://"), carrier.code
        assert carrier.example in carrier.tracking_url(carrier.example), carrier.code


@pytest.mark.parametrize(("code", "number", "url"), [
    ("dhl", "JJD0000000000000000123",
     "https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=JJD0000000000000000123"),
    ("ups", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
    ("fedex", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
    ("usps", "9400111899223197428490", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490"),
    ("royal_mail", "AB123456789GB", "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB"),
    ("la_poste", "6A12345678901", "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901"),
    ("dpd", "01234567890123", "https://tracking.dpd.de/status/en_US/parcel/01234567890123"),
    ("gls", "12345678901", "https://gls-group.com/track/12345678901"),
    ("postnl", "3SABCD1234567", "https://jouw.postnl.nl/track-and-trace/3SABCD1234567"),
])
def test_numbers_in_the_format_pass_and_link_to_the_carrier(code: str, number: str, url: str) -> None:
    choice = carrier_tracking_check(carrier=code, tracking_number=number.lower()[:2] + " " + number[2:])
    assert (choice.code, choice.tracking_number, choice.tracking_url) == (code, number, url)


@pytest.mark.parametrize(("code", "number"), [
    ("dhl", "JD1"), ("ups", "1Z999"), ("ups", "123456789012"), ("fedex", "12345"), ("royal_mail", "AB123456789DE"),
    ("postnl", "AB123456789GB"), ("dpd", "1Z999AA10123456784"), ("usps", "AB123456789GB"),
])
def test_numbers_in_another_format_are_refused_with_an_example(code: str, number: str) -> None:
    with pytest.raises(InvalidShipment) as exc:
        carrier_tracking_check(carrier=code, tracking_number=number)
    message = exc.value.fields["tracking_number"][0]
    assert number in message and carrier_get(code).example in message  # type: ignore[union-attr]


def test_other_carrier_takes_a_name_and_has_no_link() -> None:
    choice = carrier_tracking_check(carrier=OTHER, tracking_number="anything-1", other_name=" Bike  Courier ")
    assert (choice.code, choice.name, choice.tracking_number, choice.tracking_url) == (
        OTHER, "Bike Courier", "ANYTHING1", "")
    with pytest.raises(InvalidShipment) as exc:
        carrier_tracking_check(carrier=OTHER, tracking_number="X1")
    assert set(exc.value.fields) == {"carrier_name"}
    with pytest.raises(InvalidShipment) as exc:
        carrier_tracking_check(carrier="pigeon", tracking_number="X1")
    assert set(exc.value.fields) == {"carrier"}


def test_names_written_before_the_registry_map_to_codes() -> None:
    assert carrier_for_text("DHL Express").code == "dhl"  # type: ignore[union-attr]
    assert carrier_for_text("colissimo").code == "la_poste"  # type: ignore[union-attr]
    assert carrier_for_text("Royal-Mail").code == "royal_mail"  # type: ignore[union-attr]
    assert carrier_for_text("AlphaPost") is None


@given(st.text(max_size=40))
def test_normalising_never_leaves_spaces_dashes_or_lower_case(text: str) -> None:
    number = tracking_number_normalise(text)
    assert not any(ch.isspace() or ch == "-" for ch in number) and number == number.upper()


@pytest.mark.django_db
def test_shipping_with_a_wrong_number_is_a_form_error_and_a_400_and_writes_nothing(
    shopper: Any, gateway_on_emulator: Any, vendor_a: Any, owner_a: Any, client_for: Any, in_schema: Any,
) -> None:
    order = paid_orders(shopper)((vendor_a, sellable_variant(vendor_a, price=1200, stock=5), 2))
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=order.sub_orders.get().pk)
        line = copy.lines.get()
    page = client_for(vendor_a, owner_a).post(f"/dashboard/orders/{copy.pk}/ship/", {
        f"qty_{line.pk}": 1, "carrier": "ups", "tracking_number": "JD000000000000000001"})
    assert page.status_code == 422 and "is not a UPS tracking number" in page.content.decode()
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(owner_a)
    url = f"/api/v1/vendor/orders/{copy.pk}/shipments/"
    bad = api.post(url, {"carrier": "royal_mail", "tracking_number": "1Z999AA10123456784",
                         "lines": {str(line.pk): 1}}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_shipment"
    assert "tracking_number" in bad.json()["error"]["fields"]
    with in_schema(vendor_a):
        assert not Shipment.objects.exists()
        assert VendorOrder.objects.get(pk=copy.pk).lines.get().shipped_quantity == 0
    ok = api.post(url, {"carrier": "DHL Express", "tracking_number": "jd 0000 0000 0000 0000 01",
                        "lines": {str(line.pk): 1}}, format="json")
    assert ok.status_code == 201
    shipment = ok.json()["shipments"][0]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("dhl", "JD000000000000000001")
    assert shipment["tracking_url"].endswith("tracking-id=JD000000000000000001")
    other = api.post(url, {"carrier": "other", "carrier_name": "Bike Courier", "tracking_number": "BC-7",
                           "lines": {str(line.pk): 1}}, format="json")
    assert other.status_code == 201
    assert other.json()["shipments"][1]["carrier_display"] == "Bike Courier"
    assert other.json()["shipments"][1]["tracking_url"] == ""
