"""EU VAT identification numbers: the format (python-stdnum) and the registry check (a VIES-like
interface; the local registry answers without a network), for reverse charge (docs/adr/0071)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from orders.errors import InvalidVatId


@dataclass(frozen=True)
class VatNumber:
    country: str  # the member state (VIES prefix: "EL" is Greece)
    number: str  # compact, without the country prefix

    @property
    def full(self) -> str:
        return f"{self.country}{self.number}"


@dataclass(frozen=True)
class VatCheck:
    valid: bool
    name: str = ""


class VatRegistry(Protocol):
    def check(self, vat: VatNumber) -> VatCheck: ...


class LocalVatRegistry:
    """Every well-formed number is registered, except those in `settings.ORDERS_VAT_UNREGISTERED`
    (development and tests: VIES itself is never called from here)."""

    def check(self, vat: VatNumber) -> VatCheck:
        unregistered = {str(n).upper() for n in getattr(settings, "ORDERS_VAT_UNREGISTERED", ())}
        return VatCheck(valid=vat.full not in unregistered)


def vat_registry() -> VatRegistry:
    return import_string(getattr(settings, "ORDERS_VAT_REGISTRY", "orders.vat.LocalVatRegistry"))()  # type: ignore[no-any-return]


def _country_of(prefix: str) -> str:
    return "GR" if prefix == "EL" else prefix


def vat_id_validate(raw: str, *, destination: str) -> str:
    """The compact VAT ID ("DE136695976") when it is well formed, registered and of the
    destination country; `InvalidVatId` (a field error on `vat_id`) otherwise. Blank: ""."""
    value = (raw or "").strip()
    if not value:
        return ""

    def refuse(message: str) -> InvalidVatId:
        return InvalidVatId(message, fields={"vat_id": [message]})

    try:
        compact = eu_vat.validate(value)
    except ValidationError as exc:
        raise refuse(_("This is not a valid EU VAT number.")) from exc
    number = VatNumber(compact[:2], compact[2:])
    if _country_of(number.country) != destination.upper():
        raise refuse(_("The VAT number must be of the delivery country (%(country)s).") % {"country": destination.upper()})
    if not vat_registry().check(number).valid:
        raise refuse(_("This VAT number is not registered (VIES)."))
    return number.full
