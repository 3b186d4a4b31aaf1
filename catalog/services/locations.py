"""A vendor's stock locations (warehouses): create, change, delete; exactly one is the default."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import InvalidStockLocation
from catalog.models import StockLevel, StockLocation
from catalog.services.stock import stock_levels_empty_drop

MAX_LOCATIONS = 50


def _clean(*, name: Any, country: Any, priority: Any) -> tuple[str, str, int]:
    name = str(name or "").replace("\x00", "").strip()
    if not name or len(name) > 100:
        raise InvalidStockLocation(_("Name is required (at most 100 characters)."), fields={"name": ["invalid"]})
    country = str(country or "").strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise InvalidStockLocation(_("Country must be a two-letter ISO code."), fields={"country": ["invalid"]})
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 10_000:
        raise InvalidStockLocation(_("Priority must be a whole number from 0 to 10,000."),
                                   fields={"priority": ["invalid"]})
    return name, country, priority


def _name_free(name: str, *, exclude: int | None = None) -> None:
    taken = StockLocation.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise InvalidStockLocation(_("A location named %(name)s exists.") % {"name": name},
                                   fields={"name": ["duplicate"]})


def _make_default(location: StockLocation) -> None:
    StockLocation.objects.select_for_update().filter(is_default=True).exclude(pk=location.pk).update(is_default=False)
    location.is_default = True


@transaction.atomic
def stock_location_create(*, name: Any, country: Any, priority: Any = 100, is_default: bool = False) -> StockLocation:
    name, country, priority = _clean(name=name, country=country, priority=priority)
    if StockLocation.objects.count() >= MAX_LOCATIONS:
        raise InvalidStockLocation(_("At most %(count)s locations.") % {"count": MAX_LOCATIONS},
                                   fields={"name": ["too_many"]})
    _name_free(name)
    location = StockLocation(name=name, country=country, priority=priority)
    if is_default:
        _make_default(location)
    location.save()
    return location


@transaction.atomic
def stock_location_update(*, location: StockLocation, name: Any, country: Any, priority: Any,
                          is_default: bool = False) -> StockLocation:
    """Change a location; making it the default takes the flag from the former default (the
    default stays the default until another one takes its place)."""
    location = StockLocation.objects.select_for_update().get(pk=location.pk)
    name, country, priority = _clean(name=name, country=country, priority=priority)
    _name_free(name, exclude=location.pk)
    location.name, location.country, location.priority = name, country, priority
    if is_default and not location.is_default:
        _make_default(location)
    location.save(update_fields=["name", "country", "priority", "is_default", "updated_at"])
    return location


@transaction.atomic
def stock_location_delete(*, location: StockLocation) -> None:
    """Delete a location that is not the default and holds no units."""
    location = StockLocation.objects.select_for_update().get(pk=location.pk)
    if location.is_default:
        raise InvalidStockLocation(_("The default location cannot be deleted."), fields={"location": ["default"]})
    if StockLevel.objects.filter(location=location, quantity__gt=0).exists():
        raise InvalidStockLocation(_("%(name)s still holds stock; move it first.") % {"name": location.name},
                                   fields={"location": ["not_empty"]})
    stock_levels_empty_drop(location=location)
    location.delete()
