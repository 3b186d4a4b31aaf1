"""Reads of the shipping settings in the current vendor schema."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fulfillment.shipping.errors import ShippingZoneNotFound
from fulfillment.shipping.models import ShippingMethod, ShippingProfile, ShippingZone
from orders.shipping import MethodTable, RateBand, VendorShipping, ZoneTable


def shipping_zones_list() -> QuerySet[ShippingZone]:
    return ShippingZone.objects.prefetch_related("methods__bands")


def shipping_zone_get(*, zone_id: int) -> ShippingZone:
    zone = shipping_zones_list().filter(pk=zone_id).first()
    if zone is None:
        raise ShippingZoneNotFound(_("No such shipping zone."))
    return zone


def shipping_revision() -> str | None:
    """The current revision of this schema's table; None before its first change."""
    revision = ShippingProfile.objects.values_list("revision", flat=True).first()
    return str(revision) if revision is not None else None


def _method_table(method: ShippingMethod) -> MethodTable:
    return MethodTable(
        method_id=method.pk, name=method.name, kind=method.kind, rate_kind=method.rate_kind,
        flat_amount=method.flat_amount,
        bands=tuple(RateBand(b.lower, b.upper, b.amount) for b in method.bands.all()),
        free_over_amount=method.free_over_amount, handling_days=method.handling_days,
        transit_days_min=method.transit_days_min, transit_days_max=method.transit_days_max,
        position=method.position,
    )


def shipping_table(*, currency: str) -> VendorShipping | None:
    """This schema's whole table as plain data; None when it has no zone."""
    zones = tuple(
        ZoneTable(zone_id=zone.pk, name=zone.name, countries=frozenset(zone.countries),
                  regions=frozenset(zone.regions), rest_of_world=zone.rest_of_world,
                  methods=tuple(_method_table(m) for m in zone.methods.all()))
        for zone in shipping_zones_list()
    )
    return VendorShipping(currency=currency, zones=zones) if zones else None
