"""Invoices and credit notes per vendor part of an order: gapless numbers per vendor and year, a
frozen snapshot, a PDF in the buyer's language with the VAT breakdown (docs/adr/0072)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.money import allocate, format_money_localized
from orders.models import Order, SubOrder
from payouts.errors import InvoiceNotFound
from payouts.models import Invoice, InvoiceCounter


def _next_sequence(*, vendor_id: int, year: int) -> int:
    """The next number of the vendor's series for `year`, under a row lock held until the caller's
    transaction ends: a rollback takes the number back with everything else."""
    InvoiceCounter.objects.bulk_create([InvoiceCounter(vendor_id=vendor_id, year=year)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(vendor_id=vendor_id, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _language_of(order: Order) -> str:
    language = getattr(order.buyer, "language", "") or settings.LANGUAGE_CODE
    return language.split("-")[0]


def _vat_breakdown(sub: SubOrder) -> list[dict[str, Any]]:
    """Net and tax per rate (and who owes it); shipping is a line of its own at 0 %."""
    inclusive = sub.order.tax_display == Order.TaxDisplay.INCLUSIVE
    rows: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: {"net": 0, "tax": 0})
    for line in sub.lines.all():
        row = rows[(line.tax_rate_bp, line.tax_collector)]
        # Tax is on what the buyer paid: the line after its discounts (docs/adr/0094).
        row["net"] += line.line_amount - line.discount_amount - (line.tax_amount if inclusive else 0)
        row["tax"] += line.tax_amount
    if sub.shipping_amount:
        rows[(0, "vendor")]["net"] += sub.shipping_amount
    return [{"rate_bp": rate, "collector": collector, **amounts}
            for (rate, collector), amounts in sorted(rows.items())]


def _content(sub: SubOrder) -> dict[str, Any]:
    order, vendor = sub.order, sub.vendor
    lines = [{"name": line.name, "sku": line.sku, "quantity": line.quantity, "unit": line.unit_price_amount,
              "amount": line.line_amount, "rate_bp": line.tax_rate_bp, "tax": line.tax_amount,
              "collector": line.tax_collector, "discount": line.discount_amount,
              "discount_label": line.discount_label} for line in sub.lines.all()]
    collectors = {line["collector"] for line in lines}
    return {
        "order": order.number, "inclusive": order.tax_display == Order.TaxDisplay.INCLUSIVE,
        "seller": {"name": vendor.name, "country": vendor.country},
        "buyer": {"name": order.ship_name, "lines": [order.ship_line1, order.ship_line2,
                                                     f"{order.ship_postal_code} {order.ship_city}", order.ship_country],
                  "vat_id": order.buyer_vat_id},
        "lines": lines, "shipping": sub.shipping_amount, "vat": _vat_breakdown(sub),
        "reverse_charge": "buyer" in collectors, "deemed_supplier": "platform" in collectors,
        "export": "export" in collectors,
    }


def invoice_issue(*, sub_order: SubOrder) -> Invoice:
    """The invoice of a paid vendor part (the same one when asked again)."""
    with transaction.atomic():
        existing = Invoice.objects.filter(key=f"invoice:{sub_order.pk}").first()
        if existing is not None:
            return existing
        now = timezone.now()
        sequence = _next_sequence(vendor_id=sub_order.vendor_id, year=now.year)
        return Invoice.objects.create(
            vendor_id=sub_order.vendor_id, sub_order=sub_order, kind=Invoice.Kind.INVOICE, year=now.year,
            sequence=sequence, number=f"{now.year}-{sequence:06d}", key=f"invoice:{sub_order.pk}",
            issued_at=now, language=_language_of(sub_order.order), currency=sub_order.order.currency,
            net_amount=sub_order.total_amount - sub_order.tax_amount, tax_amount=sub_order.tax_amount,
            total_amount=sub_order.total_amount, content=_content(sub_order),
        )


def invoices_issue_for_order(*, order: Order) -> list[Invoice]:
    """One invoice per vendor part, in the transaction that marks the order paid."""
    subs = order.sub_orders.select_related("vendor", "order__buyer").prefetch_related("lines").order_by("vendor_id")
    return [invoice_issue(sub_order=sub) for sub in subs]


def credit_note_issue(*, sub_order: SubOrder, amount: int, key: str) -> Invoice | None:
    """A credit note for `amount` refunded of a vendor part, its tax in the invoice's proportions
    per rate (allocations that sum exactly); None when the part was never invoiced."""
    with transaction.atomic():
        existing = Invoice.objects.filter(key=f"credit:{key}").first()
        if existing is not None:
            return existing
        invoice = Invoice.objects.filter(sub_order=sub_order, kind=Invoice.Kind.INVOICE).first()
        if invoice is None or amount <= 0:
            return None
        amount = min(amount, invoice.total_amount)
        tax = allocate(amount, [invoice.tax_amount, invoice.net_amount])[0] if invoice.total_amount else 0
        vat = invoice.content["vat"]
        taxes = allocate(tax, [row["tax"] for row in vat]) if sum(row["tax"] for row in vat) else [0] * len(vat)
        nets = allocate(amount - tax, [row["net"] for row in vat]) if sum(row["net"] for row in vat) else [0] * len(vat)
        content = {**invoice.content, "credits": invoice.number, "lines": [], "refunded": amount,
                   "vat": [{**row, "net": n, "tax": t} for row, n, t in zip(vat, nets, taxes, strict=True)]}
        now = timezone.now()
        sequence = _next_sequence(vendor_id=sub_order.vendor_id, year=now.year)
        return Invoice.objects.create(
            vendor_id=sub_order.vendor_id, sub_order=sub_order, kind=Invoice.Kind.CREDIT_NOTE, year=now.year,
            sequence=sequence, number=f"{now.year}-{sequence:06d}", key=f"credit:{key}", credits=invoice,
            issued_at=now, language=invoice.language, currency=invoice.currency,
            net_amount=amount - tax, tax_amount=tax, total_amount=amount, content=content,
        )


# --- reads -----------------------------------------------------------------------------------------
def invoices_of_buyer_order(*, user: Any, order_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(sub_order__order_id=order_id, sub_order__order__buyer=user).select_related("vendor")


def invoice_for_buyer(*, user: Any, invoice_id: int) -> Invoice:
    invoice = Invoice.objects.filter(pk=invoice_id, sub_order__order__buyer=user).select_related("vendor").first()
    if invoice is None or not getattr(user, "is_authenticated", False):
        raise InvoiceNotFound(_("No such invoice."))
    return invoice


def invoices_of_vendor(*, vendor_id: int) -> QuerySet[Invoice]:
    return Invoice.objects.filter(vendor_id=vendor_id).select_related("sub_order__order").order_by("-year", "-sequence")


def invoice_for_vendor(*, vendor_id: int, invoice_id: int) -> Invoice:
    invoice = Invoice.objects.filter(pk=invoice_id, vendor_id=vendor_id).select_related("vendor").first()
    if invoice is None:
        raise InvoiceNotFound(_("No such invoice."))
    return invoice


def invoices_all() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("vendor", "sub_order__order").order_by("-issued_at", "-pk")


# --- the PDF ----------------------------------------------------------------------------------------
# Typographic characters of the catalogs (French apostrophes, quotes, narrow spaces) and their
# Latin-1 stand-ins, so a translated line never prints "?" in their place.
_LATIN1_STAND_INS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                                   "\u201e": '"', "\u202f": " ", "\u2013": "-", "\u2014": "-"})


def _latin1(text: Any) -> str:
    # The PDF core fonts are Latin-1: anything else is replaced rather than failing.
    return str(text).translate(_LATIN1_STAND_INS).encode("latin-1", "replace").decode("latin-1")


def _percent(rate_bp: int) -> str:
    return f"{rate_bp / 100:g} %"


def invoice_pdf(invoice: Invoice) -> bytes:
    """The document in its buyer's language (the snapshot's, whoever downloads it)."""
    from fpdf import FPDF

    c, money, data = invoice.currency, format_money_localized, invoice.content
    with translation.override(invoice.language):
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_compression(False)  # the text stays searchable (and testable)
        title = _("Credit note") if invoice.kind == Invoice.Kind.CREDIT_NOTE else _("Invoice")
        pdf.set_title(_latin1(f"{title} {invoice.number}"))
        pdf.add_page()

        def row(text: str, size: int = 10, style: str = "") -> None:
            pdf.set_font("Helvetica", style, size)
            pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

        row(f"{title} {invoice.number}", 14, "B")
        row(_("Date: %(date)s") % {"date": invoice.issued_at.date().isoformat()})
        row(_("Order: %(order)s") % {"order": data["order"]})
        if invoice.kind == Invoice.Kind.CREDIT_NOTE:
            row(_("Credits invoice %(number)s") % {"number": data.get("credits", "")})
        pdf.ln(2)
        row(_("Seller: %(name)s (%(country)s)") % data["seller"], style="B")
        row(_("Buyer: %(name)s") % {"name": data["buyer"]["name"]}, style="B")
        for text in data["buyer"]["lines"]:
            if text.strip():
                row(text)
        if data["buyer"].get("vat_id"):
            row(_("Buyer VAT ID: %(vat_id)s") % {"vat_id": data["buyer"]["vat_id"]})
        pdf.ln(2)
        for line in data["lines"]:
            row(_("%(quantity)s x %(name)s (%(sku)s)  %(amount)s  VAT %(rate)s") % {
                "quantity": line["quantity"], "name": line["name"], "sku": line["sku"],
                "amount": money(line["amount"], c), "rate": _percent(line["rate_bp"])})
            if line.get("discount"):
                row(_("    Discount %(label)s: -%(amount)s") % {
                    "label": line.get("discount_label", ""), "amount": money(line["discount"], c)})
        if data.get("shipping"):
            row(_("Shipping: %(amount)s") % {"amount": money(data["shipping"], c)})
        pdf.ln(2)
        row(_("VAT breakdown"), 11, "B")
        for vat in data["vat"]:
            row(_("%(rate)s: net %(net)s  VAT %(tax)s") % {
                "rate": _percent(vat["rate_bp"]), "net": money(vat["net"], c), "tax": money(vat["tax"], c)})
        pdf.ln(2)
        row(_("Net total: %(amount)s") % {"amount": money(invoice.net_amount, c)}, style="B")
        row(_("VAT total: %(amount)s") % {"amount": money(invoice.tax_amount, c)}, style="B")
        row(_("Total: %(amount)s") % {"amount": money(invoice.total_amount, c)}, 12, "B")
        if data.get("reverse_charge"):
            row(_("Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)."))
        if data.get("deemed_supplier"):
            row(_("VAT collected and paid by the marketplace as deemed supplier (Art. 14a Directive 2006/112/EC)."))
        if data.get("export"):
            row(_("Export outside the EU, exempt from VAT (Art. 146 Directive 2006/112/EC); import VAT and "
                  "duties are due in the country of destination."))
        return bytes(pdf.output())
