"""Changes to a vendor's shipping settings: each validated whole, in one transaction, audited.

Every change takes the schema's profile row first (`select_for_update`): concurrent changes run one
after the other, so the overlap checks see every other zone; and it gets a new revision, which
retires the cached table (fulfillment/shipping/port.py).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django_countries import countries as country_names

from accounts.audit import audit_action
from fulfillment.shipping.errors import (
    InvalidShippingSettings,
    ShippingMethodNotFound,
    ShippingZoneNotFound,
)
from fulfillment.shipping.models import (
    ShippingMethod,
    ShippingProfile,
    ShippingRateBand,
    ShippingZone,
)

REGION_CODE = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")
MAX_DAYS = 60
PROFILE_ID = 1  # the one profile row of a schema


@dataclass(frozen=True)
class BandInput:
    lower: int
    upper: int | None
    amount: int


@dataclass(frozen=True)
class MethodInput:
    name: str
    kind: str = ShippingMethod.Kind.STANDARD
    rate_kind: str = ShippingMethod.RateKind.FLAT
    flat_amount: int = 0
    bands: tuple[BandInput, ...] = ()
    free_over_amount: int | None = None
    handling_days: int = 1
    transit_days_min: int = 1
    transit_days_max: int = 3


@dataclass(frozen=True)
class ZoneInput:
    name: str
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    rest_of_world: bool = False
    methods: tuple[MethodInput, ...] = field(default_factory=tuple)


# --- validation ----------------------------------------------------------------------------------
def _zone_errors(data: ZoneInput, *, others: list[ShippingZone]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Name the zone.")]
    unknown = [code for code in data.countries if not country_names.alpha2(code) or code != code.upper()]
    if unknown:
        errors["countries"] = [_("Unknown country codes: %(codes)s (use ISO codes such as DE, FR, US).")
                               % {"codes": ", ".join(unknown)}]
    elif data.rest_of_world and data.countries:
        errors["countries"] = [_("A rest-of-the-world zone lists no countries: it serves every other one.")]
    elif not data.rest_of_world and not data.countries:
        errors["countries"] = [_("List the countries of this zone.")]
    region_errors = _region_errors(data)
    if region_errors:
        errors["regions"] = region_errors
    overlap = _overlap_errors(data, others)
    if overlap:
        errors.setdefault("countries", []).extend(overlap)
    if not data.methods:
        errors["methods"] = [_("A zone needs at least one shipping method.")]
    for index, method in enumerate(data.methods):
        for key, messages in _method_errors(method).items():
            errors[f"methods.{index}.{key}"] = messages
    return errors


def _region_errors(data: ZoneInput) -> list[str]:
    errors = []
    for code in data.regions:
        match = REGION_CODE.match(code)
        if match is None:
            errors.append(_("%(code)s is not a region code (use ISO 3166-2, such as US-CA).") % {"code": code})
        elif match.group(1) not in data.countries:
            errors.append(_("%(code)s is a region of a country this zone does not list.") % {"code": code})
    return errors


def _coverage(countries: Any, regions: Any) -> tuple[set[str], set[str]]:
    """(countries served whole, regions served)."""
    regions = set(regions)
    partial = {code.split("-")[0] for code in regions}
    return {c for c in countries if c not in partial}, regions


def _overlap_errors(data: ZoneInput, others: list[ShippingZone]) -> list[str]:
    whole, regions = _coverage(data.countries, data.regions)
    errors = []
    for other in others:
        other_whole, other_regions = _coverage(other.countries, other.regions)
        shared = sorted((whole & other_whole) | (regions & other_regions))
        if shared:
            errors.append(_("Already in the zone %(zone)s: %(codes)s.") % {"zone": other.name, "codes": ", ".join(shared)})
        if data.rest_of_world and other.rest_of_world:
            errors.append(_("The zone %(zone)s already serves the rest of the world.") % {"zone": other.name})
    return errors


def _method_errors(method: MethodInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not method.name.strip():
        errors["name"] = [_("Name the method.")]
    if method.kind not in ShippingMethod.Kind.values:
        errors["kind"] = [_("Choose standard, express or pickup.")]
    if method.rate_kind not in ShippingMethod.RateKind.values:
        errors["rate_kind"] = [_("Choose a flat rate, by weight or by order value.")]
    if method.flat_amount < 0:
        errors["flat_amount"] = [_("Amounts cannot be negative.")]
    if method.free_over_amount is not None and method.free_over_amount < 0:
        errors["free_over_amount"] = [_("Amounts cannot be negative.")]
    if not (0 <= method.handling_days <= MAX_DAYS and 0 <= method.transit_days_min <= MAX_DAYS
            and 0 <= method.transit_days_max <= MAX_DAYS):
        errors["handling_days"] = [_("Days run from 0 to %(max)s.") % {"max": MAX_DAYS}]
    elif method.transit_days_min > method.transit_days_max:
        errors["transit_days_max"] = [_("The longest transit cannot be shorter than the shortest.")]
    bands = _band_errors(method)
    if bands:
        errors["bands"] = bands
    return errors


def _band_errors(method: MethodInput) -> list[str]:
    if method.rate_kind == ShippingMethod.RateKind.FLAT:
        return [_("A flat rate has no bands.")] if method.bands else []
    if not method.bands:
        return [_("Give at least one band.")]
    errors = []
    ordered = sorted(method.bands, key=lambda band: band.lower)
    for band in ordered:
        if band.lower < 0 or band.amount < 0:
            errors.append(_("Bands cannot be negative."))
        if band.upper is not None and band.upper <= band.lower:
            errors.append(_("A band ends after it starts (%(lower)s–%(upper)s).") % {"lower": band.lower, "upper": band.upper})
    for first, second in itertools.pairwise(ordered):
        if first.upper is None or first.upper > second.lower:
            errors.append(_("Bands overlap: %(a)s and %(b)s.") % {"a": _band_text(first), "b": _band_text(second)})
    return errors


def _band_text(band: BandInput) -> str:
    return f"{band.lower}–{band.upper if band.upper is not None else '∞'}"


def _check(data: ZoneInput, *, exclude_id: int | None = None) -> None:
    others = list(ShippingZone.objects.exclude(pk=exclude_id)) if exclude_id else list(ShippingZone.objects.all())
    errors = _zone_errors(data, others=others)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidShippingSettings(first, fields=errors)


# --- writes --------------------------------------------------------------------------------------
def _revision_take() -> None:
    """Lock the schema's profile (made on first use) and give it a new revision."""
    ShippingProfile.objects.get_or_create(pk=PROFILE_ID)
    profile = ShippingProfile.objects.select_for_update().get(pk=PROFILE_ID)
    profile.revision = uuid.uuid4()
    profile.save(update_fields=["revision", "updated_at"])


def _methods_write(zone: ShippingZone, methods: tuple[MethodInput, ...]) -> None:
    for position, data in enumerate(methods):
        _method_write(zone, data, position)


def _method_write(zone: ShippingZone, data: MethodInput, position: int) -> ShippingMethod:
    method = ShippingMethod.objects.create(
        zone=zone, name=data.name.strip(), kind=data.kind, rate_kind=data.rate_kind,
        flat_amount=data.flat_amount if data.rate_kind == ShippingMethod.RateKind.FLAT else 0,
        free_over_amount=data.free_over_amount, handling_days=data.handling_days,
        transit_days_min=data.transit_days_min, transit_days_max=data.transit_days_max, position=position,
    )
    ShippingRateBand.objects.bulk_create([
        ShippingRateBand(method=method, lower=band.lower, upper=band.upper, amount=band.amount)
        for band in data.bands
    ])
    return method


def _zone_get_locked(zone_id: int) -> ShippingZone:
    zone = ShippingZone.objects.select_for_update().filter(pk=zone_id).first()
    if zone is None:
        raise ShippingZoneNotFound(_("No such shipping zone."))
    return zone


@transaction.atomic
def shipping_zone_create(*, data: ZoneInput, actor: Any) -> ShippingZone:
    _revision_take()
    _check(data)
    zone = ShippingZone.objects.create(
        name=data.name.strip(), countries=list(data.countries), regions=list(data.regions),
        rest_of_world=data.rest_of_world, position=ShippingZone.objects.count(),
    )
    _methods_write(zone, data.methods)
    audit_action(actor=actor, action="shipping.zone_create", target=zone)
    return zone


@transaction.atomic
def shipping_zone_update(*, zone_id: int, data: ZoneInput, actor: Any) -> ShippingZone:
    """Replace the zone with `data`, its methods and bands included."""
    _revision_take()
    zone = _zone_get_locked(zone_id)
    _check(data, exclude_id=zone.pk)
    zone.name, zone.countries, zone.regions = data.name.strip(), list(data.countries), list(data.regions)
    zone.rest_of_world = data.rest_of_world
    zone.save(update_fields=["name", "countries", "regions", "rest_of_world", "updated_at"])
    zone.methods.all().delete()
    _methods_write(zone, data.methods)
    audit_action(actor=actor, action="shipping.zone_update", target=zone)
    return zone


def _method_input(method: ShippingMethod) -> MethodInput:
    return MethodInput(
        name=method.name, kind=method.kind, rate_kind=method.rate_kind, flat_amount=method.flat_amount,
        bands=tuple(BandInput(b.lower, b.upper, b.amount) for b in method.bands.all()),
        free_over_amount=method.free_over_amount, handling_days=method.handling_days,
        transit_days_min=method.transit_days_min, transit_days_max=method.transit_days_max,
    )


@transaction.atomic
def shipping_zone_edit(*, zone_id: int, name: str, countries: tuple[str, ...], regions: tuple[str, ...],
                       rest_of_world: bool, actor: Any) -> ShippingZone:
    """Change where a zone ships, its methods untouched (they keep their ids)."""
    _revision_take()
    zone = _zone_get_locked(zone_id)
    methods = tuple(_method_input(m) for m in zone.methods.prefetch_related("bands"))
    data = ZoneInput(name=name, countries=countries, regions=regions, rest_of_world=rest_of_world, methods=methods)
    _check(data, exclude_id=zone.pk)
    zone.name, zone.countries, zone.regions = data.name.strip(), list(countries), list(regions)
    zone.rest_of_world = rest_of_world
    zone.save(update_fields=["name", "countries", "regions", "rest_of_world", "updated_at"])
    audit_action(actor=actor, action="shipping.zone_update", target=zone)
    return zone


@transaction.atomic
def shipping_zone_delete(*, zone_id: int, actor: Any) -> None:
    _revision_take()
    zone = _zone_get_locked(zone_id)
    audit_action(actor=actor, action="shipping.zone_delete", target=zone)
    zone.delete()


@transaction.atomic
def shipping_method_add(*, zone_id: int, data: MethodInput, actor: Any) -> ShippingMethod:
    _revision_take()
    zone = _zone_get_locked(zone_id)
    errors = {f"methods.0.{key}": messages for key, messages in _method_errors(data).items()}
    if errors:
        raise InvalidShippingSettings(next(iter(errors.values()))[0], fields=errors)
    method = _method_write(zone, data, zone.methods.count())
    audit_action(actor=actor, action="shipping.method_add", target=method)
    return method


@transaction.atomic
def shipping_method_delete(*, zone_id: int, method_id: int, actor: Any) -> None:
    _revision_take()
    zone = _zone_get_locked(zone_id)
    method = zone.methods.filter(pk=method_id).first()
    if method is None:
        raise ShippingMethodNotFound(_("No such shipping method."))
    if zone.methods.count() == 1:
        raise InvalidShippingSettings(_("A zone needs at least one shipping method: delete the zone instead."),
                                      fields={"methods": [_("The last method of a zone stays.")]})
    audit_action(actor=actor, action="shipping.method_delete", target=method)
    method.delete()


# --- the demo's settings -----------------------------------------------------------------------------
def _demo_express(*bands: tuple[int, int | None, int], transit: tuple[int, int]) -> MethodInput:
    return MethodInput(name="Express", kind=ShippingMethod.Kind.EXPRESS, rate_kind=ShippingMethod.RateKind.WEIGHT,
                       bands=tuple(BandInput(*band) for band in bands), handling_days=1,
                       transit_days_min=transit[0], transit_days_max=transit[1])


def shipping_demo_seed(*, home_country: str, europe: frozenset[str]) -> None:
    """A demo store's settings in its schema (idempotent): its home country, the rest of Europe and
    the rest of the world, standard (flat, free over a threshold) and express (by weight)."""
    if ShippingZone.objects.exists():
        return
    home = ZoneInput(name="Domestic", countries=(home_country,), methods=(
        MethodInput(name="Standard", flat_amount=490, free_over_amount=5000, transit_days_min=1, transit_days_max=3),
        _demo_express((0, 1000, 990), (1000, 5000, 1490), (5000, None, 2490), transit=(1, 1)),
    ))
    abroad = ZoneInput(name="Europe", countries=tuple(sorted(europe - {home_country})), methods=(
        MethodInput(name="Standard", flat_amount=990, free_over_amount=10000, transit_days_min=2, transit_days_max=5),
        _demo_express((0, 1000, 1490), (1000, 5000, 1990), (5000, None, 2990), transit=(1, 2)),
    ))
    world = ZoneInput(name="Rest of the world", rest_of_world=True, methods=(
        MethodInput(name="Standard", flat_amount=1990, transit_days_min=5, transit_days_max=12),
    ))
    for zone in (home, abroad, world):
        shipping_zone_create(data=zone, actor=None)
