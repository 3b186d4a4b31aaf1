"""Invoices and credit notes: gapless numbers per vendor and year (also after a failed
transaction), the VAT breakdown in the buyer's language, and who may read them."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import transaction
from django.utils import translation

from payouts.invoices import _latin1, credit_note_issue, invoice_issue, invoice_pdf
from payouts.models import Invoice, InvoiceCounter
from tests.factories import OrderFactory, UserFactory
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    """The text the (uncompressed) PDF shows: its string operands, joined."""
    return " ".join(m.decode("latin-1") for m in re.findall(rb"\((.*?)\)\s*Tj", pdf))


def _order(vendor, buyer=None, price=11_900):
    variant = sellable_variant(vendor, price=price, stock=50)
    return OrderFactory(buyer=buyer or UserFactory(), items=[(vendor, variant, 1)])


def test_a_paid_order_gets_one_invoice_per_vendor_part_numbered_per_vendor(vendor_a, vendor_b):
    variant_a = sellable_variant(vendor_a, price=11_900, stock=5)
    variant_b = sellable_variant(vendor_b, price=5_000, stock=5)
    order = OrderFactory(buyer=UserFactory(), items=[(vendor_a, variant_a, 1), (vendor_b, variant_b, 1)])
    invoices = {i.vendor_id: i for i in Invoice.objects.filter(sub_order__order=order)}
    assert set(invoices) == {vendor_a.pk, vendor_b.pk}
    year = invoices[vendor_a.pk].year
    assert invoices[vendor_a.pk].number == invoices[vendor_b.pk].number == f"{year}-000001"
    second = _order(vendor_a)
    assert Invoice.objects.get(sub_order__order=second).number == f"{year}-000002"
    assert invoice_issue(sub_order=second.sub_orders.get()).number == f"{year}-000002"  # idempotent


def test_a_failed_transaction_leaves_no_gap(vendor_a):
    first = _order(vendor_a)
    year = Invoice.objects.get(sub_order__order=first).year
    failing = _order(vendor_a, price=5000)
    Invoice.objects.filter(sub_order__order=failing).delete()
    InvoiceCounter.objects.filter(vendor=vendor_a, year=year).update(last_number=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue(sub_order=failing.sub_orders.get())
        raise RuntimeError("the rest of the transaction failed")
    assert InvoiceCounter.objects.get(vendor=vendor_a, year=year).last_number == 1
    assert invoice_issue(sub_order=failing.sub_orders.get()).number == f"{year}-000002"


def test_numbering_starts_again_each_year(vendor_a):
    with time_machine.travel("2026-12-31 12:00Z", tick=False):
        _order(vendor_a)
    with time_machine.travel("2027-01-01 12:00Z", tick=False):
        order = _order(vendor_a)
    assert Invoice.objects.get(sub_order__order=order).number == "2027-000001"


@pytest.mark.parametrize(("language", "wording"), [
    ("de", ["Rechnung ", "Datum: ", "Bestellung: ", "Verkäufer: ", "Käufer: ", "Aufschlüsselung der Umsatzsteuer",
            "19 %: netto 100,00 EUR  USt. 19,00 EUR", "Summe netto: 100,00 EUR", "Summe USt.: 19,00 EUR",
            "Gesamt: 119,00 EUR"]),
    ("fr", ["Facture ", "Date : ", "Commande : ", "Vendeur : ", "Acheteur : ", "Détail de la TVA",
            "19 % : HT 100,00 EUR  TVA 19,00 EUR", "Total HT : 100,00 EUR", "Total TVA : 19,00 EUR",
            "Total TTC : 119,00 EUR"]),
    ("en", ["Invoice ", "Date: ", "Order: ", "Seller: ", "Buyer: ", "VAT breakdown",
            "19 %: net 100.00 EUR  VAT 19.00 EUR", "Net total: 100.00 EUR", "VAT total: 19.00 EUR",
            "Total: 119.00 EUR"]),
])
def test_the_pdf_shows_the_vat_breakdown_in_the_buyers_language(vendor_a, language, wording):
    buyer = UserFactory(language=language)
    order = _order(vendor_a, buyer=buyer)
    invoice = Invoice.objects.get(sub_order__order=order)
    assert (invoice.tax_amount, invoice.language) == (1900, language)
    # Whoever downloads it (here in English), the document speaks the buyer's language.
    with translation.override("en"):
        text = _text(invoice_pdf(invoice))
    assert invoice.number in text and vendor_a.name in text
    missing = [phrase for phrase in wording if _latin1(phrase) not in text]
    assert missing == []


@pytest.mark.parametrize(("language", "notes"), [
    ("de", ["Rechnungskorrektur ", "Korrigiert Rechnung ", "Gesamt: 59,50 EUR"]),
    ("fr", ["Avoir ", "Avoir sur la facture ", "Total TTC : 59,50 EUR"]),
])
def test_a_credit_note_pdf_speaks_the_buyers_language(vendor_a, language, notes):
    order = _order(vendor_a, buyer=UserFactory(language=language))
    sub = order.sub_orders.get()
    note = credit_note_issue(sub_order=sub, amount=5950, key="refund-lang")
    text = _text(invoice_pdf(note))
    assert [phrase for phrase in notes if _latin1(phrase) not in text] == []


def test_a_refund_issues_a_credit_note_with_its_share_of_the_vat(vendor_a):
    order = _order(vendor_a)
    sub = order.sub_orders.get()
    invoice = Invoice.objects.get(sub_order=sub)
    note = credit_note_issue(sub_order=sub, amount=5950, key="refund-1")
    assert note is not None and note.kind == "credit_note" and note.credits == invoice
    assert note.sequence == invoice.sequence + 1
    assert (note.total_amount, note.tax_amount, note.net_amount) == (5950, 950, 5000)
    assert sum(row["tax"] for row in note.content["vat"]) == 950
    assert credit_note_issue(sub_order=sub, amount=5950, key="refund-1") == note
    assert "Credits invoice" in _text(invoice_pdf(note))


def test_buyer_b_cannot_download_buyer_as_invoice(vendor_a, client):
    owner, stranger = UserFactory(), UserFactory()
    invoice = Invoice.objects.get(sub_order__order=_order(vendor_a, buyer=owner))
    client.force_login(stranger)
    assert client.get(f"/orders/invoices/{invoice.pk}.pdf", HTTP_HOST="marketplace.localhost").status_code == 404
    client.force_login(owner)
    mine = client.get(f"/orders/invoices/{invoice.pk}.pdf", HTTP_HOST="marketplace.localhost")
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF")
    page = client.get(f"/orders/{invoice.sub_order.order_id}/", HTTP_HOST="marketplace.localhost")
    assert f"/orders/invoices/{invoice.pk}.pdf" in page.content.decode()


def test_vendor_a_cannot_list_or_download_vendor_bs_invoices(vendor_a, vendor_b, client):
    mine = Invoice.objects.get(sub_order__order=_order(vendor_a))
    theirs = Invoice.objects.get(sub_order__order=_order(vendor_b))
    owner_a = vendor_a.memberships.get(role="owner").user
    client.force_login(owner_a)
    host = vendor_a.store.domains.first().domain
    listing = client.get("/dashboard/money/invoices/", HTTP_HOST=host)
    assert listing.status_code == 200
    body = listing.content.decode()
    assert f'data-number="{mine.number}"' in body and body.count("data-number=") == 1
    assert client.get(f"/dashboard/money/invoices/{theirs.pk}.pdf", HTTP_HOST=host).status_code == 404
    assert client.get(f"/dashboard/money/invoices/{mine.pk}.pdf", HTTP_HOST=host).status_code == 200
