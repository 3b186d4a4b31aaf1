"""Shipping documents of a vendor order: the packing slip, labels through a label provider, and
the customs declaration of a parcel leaving the vendor's country (docs/adr/0080).

Everything here runs in the vendor's schema; a label's PDF is kept beside its order there, so
another vendor's request never reaches it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.selectors import current_vendor_in_schema
from common.money import format_money_localized
from fulfillment.carriers import OTHER, carrier_get
from fulfillment.errors import DocumentNotFound, LabelRefused
from fulfillment.models import ShipmentLabel, VendorOrder

HS_CODE = re.compile(r"\d{6,10}")


def _latin1(text: Any) -> str:
    # The PDF core fonts are Latin-1: anything else is replaced rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class CustomsItem:
    sku: str
    description: str
    quantity: int
    hs_code: str
    origin_country: str
    value_amount: int  # what the buyer paid for these units, in the order's currency


@dataclass(frozen=True)
class Address:
    name: str
    lines: tuple[str, ...]
    country: str


@dataclass(frozen=True)
class LabelRequest:
    """What a label provider needs (the shape of an EasyPost or Shippo shipment)."""

    reference: str  # the order number
    carrier: str
    from_address: Address
    to_address: Address
    weight_grams: int
    currency: str
    customs: tuple[CustomsItem, ...]  # empty for a domestic parcel


@dataclass(frozen=True)
class Label:
    provider: str
    label_id: str
    carrier: str
    tracking_number: str
    pdf: bytes


class LabelProvider(Protocol):
    name: str

    def label_create(self, request: LabelRequest, *, key: str) -> Label:
        """Buy (or draw) a label; the same `key` gives the same label. LabelRefused when it cannot."""
        ...


def _pdf() -> Any:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_compression(False)  # the text stays searchable (and testable)
    pdf.add_page()
    return pdf


def _row(pdf: Any, text: str, size: int = 10, style: str = "") -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _customs_rows(pdf: Any, items: tuple[CustomsItem, ...], currency: str) -> None:
    _row(pdf, _("Customs declaration (CN22/CN23): sale of goods"), 11, "B")
    for item in items:
        _row(pdf, _("%(quantity)s x %(description)s (%(sku)s)  HS %(hs)s  origin %(origin)s  value %(value)s") % {
            "quantity": item.quantity, "description": item.description, "sku": item.sku, "hs": item.hs_code,
            "origin": item.origin_country, "value": format_money_localized(item.value_amount, currency)})
    total = sum(item.value_amount for item in items)
    _row(pdf, _("Total declared value: %(value)s") % {"value": format_money_localized(total, currency)}, style="B")


class LocalLabelProvider:
    """Draws the label here: addresses, the carrier, a Code 39 barcode of a tracking number made
    from the key in the carrier's all-digit format, and the customs declaration when needed."""

    name = "local"

    def label_create(self, request: LabelRequest, *, key: str) -> Label:
        number = self._tracking_number(request.carrier, key)
        pdf = _pdf()
        pdf.set_title(_latin1(_("Shipping label %(number)s") % {"number": number}))
        carrier = carrier_get(request.carrier)
        _row(pdf, carrier.name if carrier else request.carrier, 16, "B")
        _row(pdf, _("From: %(name)s, %(lines)s, %(country)s") % {
            "name": request.from_address.name, "lines": ", ".join(request.from_address.lines),
            "country": request.from_address.country})
        pdf.ln(2)
        _row(pdf, _("Ship to"), 11, "B")
        _row(pdf, request.to_address.name, 14, "B")
        for line in request.to_address.lines:
            _row(pdf, line, 12)
        _row(pdf, request.to_address.country, 12, "B")
        pdf.ln(4)
        pdf.code39(f"*{number}*", x=pdf.l_margin, y=pdf.get_y(), w=0.5, h=18)
        pdf.set_y(pdf.get_y() + 20)
        _row(pdf, _("Tracking number: %(number)s") % {"number": number}, 12, "B")
        _row(pdf, _("Order %(reference)s, %(weight)s g") % {"reference": request.reference,
                                                             "weight": request.weight_grams})
        if request.customs:
            pdf.ln(2)
            _customs_rows(pdf, request.customs, request.currency)
        label_id = "lbl_" + hashlib.sha256(key.encode()).hexdigest()[:24]
        return Label(self.name, label_id, request.carrier, number, bytes(pdf.output()))

    @staticmethod
    def _tracking_number(carrier_code: str, key: str) -> str:
        carrier = carrier_get(carrier_code)
        lengths = [int(m.group(1)) for f in (carrier.formats if carrier else ())
                   if (m := re.fullmatch(r"\\d\{(\d+)\}", f))]
        if not lengths:
            raise LabelRefused(_("The local label service prints labels only for carriers with numeric tracking "
                                 "numbers (for example DHL, FedEx, DPD, GLS, USPS)."),
                               fields={"carrier": [_("Choose another carrier for the label.")]})
        digits = str(int(hashlib.sha256(key.encode()).hexdigest(), 16))
        return digits[: max(lengths)].rjust(max(lengths), "0")


PROVIDERS: dict[str, LabelProvider] = {LocalLabelProvider.name: LocalLabelProvider()}


def label_provider() -> LabelProvider:
    return PROVIDERS.get(str(getattr(settings, "FULFILLMENT_LABEL_PROVIDER", "local")), PROVIDERS["local"])


# ---------------------------------------------------------------------------------------------
# the order's documents


def _vendor() -> Any:
    vendor = current_vendor_in_schema()
    if vendor is None:
        raise DocumentNotFound(_("Documents are made in a vendor's own schema."))
    return vendor


# The EU customs union (with Monaco, which is inside it): goods move between these without a
# customs declaration.
EU_CUSTOMS_UNION = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "MC",
})


def vendor_order_international(*, vendor_order: VendorOrder, vendor: Any = None) -> bool:
    """The parcel crosses a customs border: another country, unless both are in the EU's union."""
    vendor = vendor or _vendor()
    origin, destination = str(vendor.country).upper(), (vendor_order.ship_country or "").upper()
    if not destination or destination == origin:
        return False
    return not (origin in EU_CUSTOMS_UNION and destination in EU_CUSTOMS_UNION)


def customs_items(*, vendor_order: VendorOrder) -> tuple[list[CustomsItem], list[str]]:
    """The declaration's items of the order's open and shipped units, and the SKUs whose product
    lacks an HS code or a country of origin."""
    from catalog.models import Product

    lines = [line for line in vendor_order.lines.all() if line.quantity - line.cancelled_quantity > 0]
    products = Product.objects.in_bulk([line.product_id for line in lines])
    items, missing = [], []
    for line in lines:
        product = products.get(line.product_id)
        hs_code = (product.hs_code if product else "").strip()
        origin = (product.origin_country if product else "").strip().upper()
        if not HS_CODE.fullmatch(hs_code) or len(origin) != 2:
            missing.append(line.sku)
        quantity = line.quantity - line.cancelled_quantity
        items.append(CustomsItem(line.sku, line.name, quantity, hs_code, origin,
                                 (line.line_amount - line.discount_amount) * quantity // line.quantity))
    return items, missing


def _address_of(vendor_order: VendorOrder) -> Address:
    return Address(vendor_order.ship_name, tuple(t for t in (
        vendor_order.ship_line1, vendor_order.ship_line2,
        f"{vendor_order.ship_postal_code} {vendor_order.ship_city} {vendor_order.ship_region}".strip()) if t),
        vendor_order.ship_country)


def packing_slip_pdf(*, vendor_order: VendorOrder) -> bytes:
    """What is in the parcel, for whom; with the customs declaration when it leaves the country."""
    vendor = _vendor()
    pdf = _pdf()
    pdf.set_title(_latin1(_("Packing slip %(number)s") % {"number": vendor_order.order_number}))
    _row(pdf, _("Packing slip"), 16, "B")
    _row(pdf, _("Order %(number)s, placed %(date)s") % {"number": vendor_order.order_number,
                                                         "date": vendor_order.placed_at.date().isoformat()})
    _row(pdf, _("From: %(name)s (%(country)s)") % {"name": vendor.name, "country": vendor.country})
    pdf.ln(2)
    address = _address_of(vendor_order)
    _row(pdf, _("Ship to"), 11, "B")
    for text in (address.name, *address.lines, address.country):
        _row(pdf, text)
    _row(pdf, _("Shipping option: %(name)s") % {"name": vendor_order.shipping_name})
    pdf.ln(2)
    _row(pdf, _("Items"), 11, "B")
    for line in vendor_order.lines.all():
        quantity = line.quantity - line.cancelled_quantity
        if quantity:
            _row(pdf, _("[  ] %(quantity)s x %(name)s (%(sku)s)") % {"quantity": quantity, "name": line.name,
                                                                        "sku": line.sku})
    if vendor_order_international(vendor_order=vendor_order, vendor=vendor):
        items, missing = customs_items(vendor_order=vendor_order)
        pdf.ln(2)
        _customs_rows(pdf, tuple(items), vendor_order.currency)
        if missing:
            _row(pdf, _("Customs data missing for: %(skus)s") % {"skus": ", ".join(missing)}, style="B")
    return bytes(pdf.output())


@transaction.atomic
def shipment_label_create(*, vendor_order_id: Any, carrier: str, user: Any = None) -> ShipmentLabel:
    """A label for the order's open items. An international parcel needs every product's HS code
    and country of origin: refused with the SKUs to complete otherwise."""
    from catalog.models import Variant
    from fulfillment.services import _locked

    vendor_order = _locked(vendor_order_id)
    if vendor_order.status not in (VendorOrder.Status.NEW, VendorOrder.Status.PARTIALLY_SHIPPED):
        raise LabelRefused(_("This order has nothing left to ship."))
    code = (carrier or "").strip().lower()
    if carrier_get(code) is None or code == OTHER:
        raise LabelRefused(_("Choose a carrier for the label."), fields={"carrier": [_("Choose a carrier.")]})
    vendor = _vendor()
    customs: tuple[CustomsItem, ...] = ()
    if vendor_order_international(vendor_order=vendor_order, vendor=vendor):
        items, missing = customs_items(vendor_order=vendor_order)
        if missing:
            message = _("This parcel leaves %(country)s: add an HS code and a country of origin to the products "
                        "of %(skus)s before printing its label.") % {"country": vendor.country,
                                                                    "skus": ", ".join(missing)}
            raise LabelRefused(message, fields={"customs": [message]})
        customs = tuple(items)
    open_lines = [line for line in vendor_order.lines.all() if line.open_quantity]
    weights = dict(Variant.objects.filter(pk__in=[line.variant_id for line in open_lines])
                   .values_list("pk", "weight_grams"))
    weight = sum(weights.get(line.variant_id, 0) * line.open_quantity for line in open_lines)
    count = vendor_order.labels.count()
    request = LabelRequest(
        reference=vendor_order.order_number, carrier=code,
        from_address=Address(vendor.name, (), str(vendor.country)), to_address=_address_of(vendor_order),
        weight_grams=weight, currency=vendor_order.currency, customs=customs)
    provider = label_provider()
    label = provider.label_create(request, key=f"{vendor.pk}:{vendor_order.sub_order_id}:{code}:{count + 1}")
    return ShipmentLabel.objects.create(
        vendor_order=vendor_order, provider=label.provider, provider_label_id=label.label_id, carrier=label.carrier,
        tracking_number=label.tracking_number, pdf=label.pdf, international=bool(customs),
        user_id=getattr(user, "pk", None))


def shipment_label_get(*, vendor_order: VendorOrder, label_id: Any) -> ShipmentLabel:
    try:
        return vendor_order.labels.get(pk=int(label_id))
    except (ShipmentLabel.DoesNotExist, TypeError, ValueError):
        raise DocumentNotFound(_("Label not found.")) from None
