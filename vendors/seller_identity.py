"""The seller's DAC7 identity: field checks (python-stdnum formats for TINs, VAT IDs and IBANs),
saving it on an application or a vendor, and moving it to the vendor on approval (docs/adr/0088)."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from vendors.errors import InvalidSellerIdentity
from vendors.models import SellerIdentity, Vendor, VendorApplication

# python-stdnum modules that check a tax identification number of the country: a TIN passes when
# any of them accepts it (an individual's number or a business's). Countries not listed have no
# format in python-stdnum: their TIN is kept as entered (letters, digits, spaces, - / .).
TIN_FORMATS: dict[str, tuple[str, ...]] = {
    "AT": ("at.tin",), "BE": ("be.nn", "be.vat"), "BG": ("bg.egn", "bg.vat"), "CY": ("cy.vat",),
    "CZ": ("cz.rc", "cz.dic"), "DE": ("de.idnr", "de.stnr"), "DK": ("dk.cpr", "dk.cvr"), "EE": ("ee.ik", "ee.kmkr"),
    "ES": ("es.nif",), "FI": ("fi.hetu", "fi.ytunnus"), "FR": ("fr.spi", "fr.siren", "fr.nif"),
    "GR": ("gr.vat",), "HR": ("hr.oib",), "HU": ("hu.anum",), "IE": ("ie.pps",),
    "IT": ("it.codicefiscale",), "LT": ("lt.asmens", "lt.pvm"), "LU": ("lu.tva",), "LV": ("lv.pvn",),
    "MT": ("mt.vat",), "NL": ("nl.bsn", "nl.rsin"), "PL": ("pl.pesel", "pl.nip"), "PT": ("pt.nif",),
    "RO": ("ro.cnp", "ro.cf"), "SE": ("se.personnummer", "se.orgnr"), "SI": ("si.ddv", "si.emso"),
    "SK": ("sk.rc", "sk.dph"), "GB": ("gb.utr",), "US": ("us.tin",), "NO": ("no.fodselsnummer", "no.orgnr"),
    "CH": ("ch.ssn", "ch.uid"),
}
FIELDS = ("kind", "legal_name", "tin", "tin_country", "vat_id", "street", "postal_code", "city",
          "address_country", "birth_date", "business_registration_number", "iban")
REQUIRED = ("kind", "legal_name", "tin", "tin_country", "street", "postal_code", "city", "address_country")
_FREE_TIN = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -/.")


def _refuse(field: str, message: str) -> InvalidSellerIdentity:
    return InvalidSellerIdentity(message, fields={field: [message]})


def _validators(country: str) -> list[Any]:
    found = []
    for name in TIN_FORMATS.get(country, ()):
        try:
            found.append(importlib.import_module(f"stdnum.{name}"))
        except ImportError:  # an older python-stdnum without this country's module
            continue
    return found


def tin_clean(tin: str, *, country: str) -> str:
    """The TIN in its compact form when the country has a format (and it passes), else as typed."""
    value = (tin or "").strip().upper()
    if not value:
        raise _refuse("tin", _("Enter your tax identification number."))
    modules = _validators(country)
    if not modules:
        if len(value) > 40 or not set(value) <= _FREE_TIN:
            raise _refuse("tin", _("Use only letters, digits, spaces and - / . in the tax identification number."))
        return value
    for module in modules:
        try:
            return str(module.validate(value))
        except ValidationError:
            continue
    raise _refuse("tin", _("This is not a valid tax identification number of %(country)s.") % {"country": country})


def vat_id_clean(vat_id: str) -> str:
    value = (vat_id or "").strip()
    if not value:
        return ""
    try:
        return str(eu_vat.validate(value))
    except ValidationError as exc:
        raise _refuse("vat_id", _("This is not a valid EU VAT number.")) from exc


def iban_mask(raw: str) -> str:
    """Validate the IBAN and keep only what identifies it for the seller: "DE•• •••• 3000"."""
    try:
        compact = str(stdnum_iban.validate(raw))
    except ValidationError as exc:
        raise _refuse("iban", _("This is not a valid IBAN.")) from exc
    return f"{compact[:2]}•• •••• {compact[-4:]}"


def _birth_date(value: Any) -> dt.date:
    if not value:
        raise _refuse("birth_date", _("Enter the date of birth (required for individual sellers)."))
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise _refuse("birth_date", _("Enter a valid date.")) from exc
    today = timezone.localdate()
    if value > today.replace(year=today.year - 18) or value.year < 1900:
        raise _refuse("birth_date", _("The seller must be an adult (18 or older)."))
    return value


def identity_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Checked model values from form or API input: `iban` becomes `iban_masked`."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise InvalidSellerIdentity(_("Unknown fields."), fields={name: ["unknown"] for name in sorted(unknown)})
    for name in REQUIRED:
        if not str(data.get(name) or "").strip():
            raise _refuse(name, _("This field is required."))
    kind = data["kind"]
    if kind not in SellerIdentity.Kind.values:
        raise _refuse("kind", _("Choose individual or entity."))
    clean: dict[str, Any] = {name: str(data[name]).strip() for name in ("legal_name", "street", "postal_code", "city")}
    clean["kind"] = kind
    clean["tin_country"] = str(data["tin_country"]).upper()
    clean["address_country"] = str(data["address_country"]).upper()
    clean["tin"] = tin_clean(str(data["tin"]), country=clean["tin_country"])
    clean["vat_id"] = vat_id_clean(str(data.get("vat_id") or ""))
    registration = str(data.get("business_registration_number") or "").strip()
    if kind == SellerIdentity.Kind.INDIVIDUAL:
        clean["birth_date"], clean["business_registration_number"] = _birth_date(data.get("birth_date")), ""
    else:
        if not registration:
            raise _refuse("business_registration_number", _("Enter the business registration number."))
        clean["birth_date"], clean["business_registration_number"] = None, registration
    if str(data.get("iban") or "").strip():
        clean["iban_masked"] = iban_mask(str(data["iban"]))
    return clean


@transaction.atomic
def seller_identity_save(*, data: dict[str, Any], application: VendorApplication | None = None,
                         vendor: Vendor | None = None) -> SellerIdentity:
    """Create or replace the identity of an application (onboarding) or of a vendor (dashboard).
    A blank IBAN keeps the masked reference already stored."""
    if (application is None) == (vendor is None):
        raise ValueError("Give exactly one of application or vendor.")
    clean = identity_clean(data)
    owner = {"application": application} if application is not None else {"vendor": vendor}
    identity = SellerIdentity.objects.select_for_update().filter(**owner).first()
    if identity is None:
        return SellerIdentity.objects.create(**owner, **clean)
    for name, value in clean.items():
        setattr(identity, name, value)
    identity.save(update_fields=[*clean.keys(), "updated_at"])
    return identity


def seller_identity_attach(*, application: VendorApplication, vendor: Vendor) -> None:
    """On approval: the application's identity becomes the vendor's (no copy, one row)."""
    SellerIdentity.objects.filter(application=application, vendor__isnull=True).update(vendor=vendor)


def seller_identity_initial(identity: SellerIdentity | None) -> dict[str, Any]:
    if identity is None:
        return {}
    return {name: getattr(identity, name) for name in FIELDS if name != "iban"}
