"""Checkout with the vendors' own shipping settings: methods offered per destination with dates,
the buyer's choice snapshotted on the sub-order, and a destination outside every zone (or a vendor
without settings) refused with a message naming the vendor and items, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from fulfillment.shipping.models import ShippingZone
from fulfillment.shipping.services import (
    BandInput,
    MethodInput,
    ZoneInput,
    shipping_method_add,
    shipping_zone_create,
    shipping_zone_delete,
)
from orders import services
from orders.addresses import Address
from orders.delivery import add_business_days
from orders.errors import ShippingUnavailable
from orders.models import Order, OrderLine, SubOrder
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE, ADDRESS_US

pytestmark = pytest.mark.django_db

ADDRESS_CH = Address(name="Bea Buyer", line1="Bahnhofstr. 1", line2="", city="Zürich", region="",
                     postal_code="8001", country="CH")
STANDARD = MethodInput(name="Standard", flat_amount=590, handling_days=1, transit_days_min=2, transit_days_max=4)
EXPRESS = MethodInput(name="Express", kind="express", rate_kind="weight", handling_days=0, transit_days_min=1,
                      transit_days_max=1, bands=(BandInput(0, 1000, 1290), BandInput(1000, None, 1990)))


def _zones(vendor: Any, *zones: ZoneInput) -> list[ShippingZone]:
    """The vendor's settings become exactly these zones (through the services, as a vendor would)."""
    with schema_context(vendor.store.schema_name):
        for zone in ShippingZone.objects.all():
            shipping_zone_delete(zone_id=zone.pk, actor=None)
        return [shipping_zone_create(data=zone, actor=None) for zone in zones]


def _cart_with(shopper: Any, *items: Any) -> Any:
    cart = services.cart_for(user=shopper, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return cart


def test_each_vendor_offers_its_methods_for_the_destination_with_dates(shopper, vendor_a, vendor_b, today):
    va = sellable_variant(vendor_a, price=2000, weight_grams=600)
    vb = sellable_variant(vendor_b, price=1500)
    _zones(vendor_a, ZoneInput(name="Alps", countries=("CH", "AT"), methods=(STANDARD, EXPRESS)))
    _zones(vendor_b, ZoneInput(name="World", rest_of_world=True, methods=(
        MethodInput(name="Parcel", flat_amount=990, transit_days_min=5, transit_days_max=9),)))
    cart = _cart_with(shopper, (vendor_a, va, 2), (vendor_b, vb, 1))

    review = services.cart_review(cart=cart, country="CH")

    groups = {group.vendor_id: group for group in review.priced.groups}
    # 2 × 600 g = 1.2 kg: the second express band.
    assert [(o.name, o.amount, o.kind) for o in groups[vendor_a.pk].options] == [
        ("Standard", 590, "standard"), ("Express", 1990, "express")]
    assert groups[vendor_a.pk].shipping.name == "Standard"  # the cheapest unless chosen
    express = groups[vendor_a.pk].options[1]
    assert (express.earliest, express.latest) == (add_business_days(today, 1), add_business_days(today, 1))
    assert [o.name for o in groups[vendor_b.pk].options] == ["Parcel"]
    assert review.can_checkout and review.shipping_problems == {}


def test_the_choice_is_snapshotted_on_the_sub_order(shopper, vendor_a):
    va = sellable_variant(vendor_a, price=2000, weight_grams=400)
    [zone] = _zones(vendor_a, ZoneInput(name="Alps", countries=("CH",), methods=(STANDARD, EXPRESS)))
    with schema_context(vendor_a.store.schema_name):
        express_id = zone.methods.get(name="Express").pk
    _cart_with(shopper, (vendor_a, va, 1))

    order = services.checkout_submit(user=shopper, address=ADDRESS_CH, shipping_choice={vendor_a.pk: express_id},
                                     checkout_token="ship-express")

    sub = order.sub_orders.get()
    assert (sub.shipping_rate_id, sub.shipping_name, sub.shipping_amount, sub.shipping_kind) == (
        express_id, "Express", 1290, "express")
    assert (sub.delivery_days_min, sub.delivery_days_max) == (1, 1)
    # Swiss prices include VAT: the total is the lines and the shipping.
    assert order.tax_display == "inclusive" and order.total_amount == order.subtotal_amount + 1290
    # A later change of the vendor's prices leaves the order as it was bought.
    with schema_context(vendor_a.store.schema_name):
        shipping_method_add(zone_id=zone.pk, data=MethodInput(name="Cheap", flat_amount=1), actor=None)
    sub.refresh_from_db()
    assert sub.shipping_amount == 1290


def test_outside_every_zone_is_refused_naming_the_vendor_and_items_nothing_written(shopper, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, price=2000, stock=4, name="Glacier Flask")
    vb = sellable_variant(vendor_b, price=1500, stock=4, name="Basalt Mug")
    _zones(vendor_a, ZoneInput(name="Home", countries=("DE", "AT"), methods=(STANDARD,)))
    cart = _cart_with(shopper, (vendor_a, va, 1), (vendor_b, vb, 1))
    counts = (Order.objects.count(), SubOrder.objects.count(), OrderLine.objects.count())

    with pytest.raises(ShippingUnavailable) as refused:
        services.checkout_submit(user=shopper, address=ADDRESS_US, shipping_choice={}, checkout_token="abroad")

    assert "Alpha does not ship to United States of America: remove Glacier Flask" in refused.value.message
    assert refused.value.fields["country"] == [refused.value.message]
    assert "Bravo" not in refused.value.message  # its default zone serves the rest of the world
    assert (Order.objects.count(), SubOrder.objects.count(), OrderLine.objects.count()) == counts
    assert variant_stock(vendor_a, va.pk) == 4 and variant_stock(vendor_b, vb.pk) == 4
    assert cart.items.count() == 2


def test_a_vendor_without_settings_is_refused_with_a_clear_message(shopper, vendor_a):
    va = sellable_variant(vendor_a, name="Glacier Flask")
    _zones(vendor_a)
    _cart_with(shopper, (vendor_a, va, 1))
    with pytest.raises(ShippingUnavailable, match="Alpha has not set up shipping yet, so Glacier Flask cannot be sent"):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="none")
    assert not Order.objects.filter(buyer=shopper).exists()


def test_a_parcel_beyond_every_band_is_refused(shopper, vendor_a):
    va = sellable_variant(vendor_a, weight_grams=3000, name="Anvil")
    _zones(vendor_a, ZoneInput(name="Home", countries=("DE",), methods=(MethodInput(
        name="Light", rate_kind="weight", bands=(BandInput(0, 2000, 500),)),)))
    cart = _cart_with(shopper, (vendor_a, va, 1))
    review = services.cart_review(cart=cart, country="DE")
    assert not review.can_checkout
    assert "no shipping method to Germany for this parcel (Anvil)" in review.shipping_problems[vendor_a.pk]


def test_a_change_of_settings_applies_at_once_despite_the_cache(shopper, vendor_a):
    va = sellable_variant(vendor_a, price=2000)
    [zone] = _zones(vendor_a, ZoneInput(name="Home", countries=("DE",), methods=(STANDARD,)))
    cart = _cart_with(shopper, (vendor_a, va, 1))
    assert [o.amount for o in services.cart_review(cart=cart, country="DE").priced.groups[0].options] == [590]
    with schema_context(vendor_a.store.schema_name):
        shipping_method_add(zone_id=zone.pk, data=MethodInput(name="Saver", flat_amount=290), actor=None)
    assert [o.amount for o in services.cart_review(cart=cart, country="DE").priced.groups[0].options] == [290, 590]


def test_the_checkout_page_shows_the_estimate_and_the_refusal(shopper, vendor_a, platform_client):
    va = sellable_variant(vendor_a, price=2000, name="Glacier Flask")
    _zones(vendor_a, ZoneInput(name="Alps", countries=("CH",), methods=(STANDARD, EXPRESS)))
    _cart_with(shopper, (vendor_a, va, 1))
    platform_client.force_login(shopper)
    summary = platform_client.post("/checkout/", {"country": "CH", "refresh": "1"}, HTTP_HX_REQUEST="true")
    html = summary.content.decode()
    assert "Estimated delivery:" in html and "Express" in html
    refused = platform_client.post("/checkout/", {
        "country": "DE", "name": "Bea Buyer", "line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115",
        "checkout_token": "page-abroad"})
    page = refused.content.decode()
    assert refused.status_code == 422
    assert "Alpha does not ship to Germany: remove Glacier Flask or choose another address." in page
    assert not Order.objects.filter(buyer=shopper).exists()
