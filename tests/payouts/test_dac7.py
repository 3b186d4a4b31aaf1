"""DAC7 annual seller reports (figures per quarter, CSV, DPI XML element names), the US 1099-K
threshold summary, the finance and vendor pages (a vendor sees only its own report) and the
`dac7_report` command."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.models import Order
from payouts import dac7
from tests.factories import MembershipFactory
from tests.factories.orders import paid_orders
from vendors.seller_identity import seller_identity_save

pytestmark = pytest.mark.django_db

NS = {"dpi": dac7.DPI_NS, "stf": dac7.STF_NS}
ENTITY = {
    "kind": "entity", "legal_name": "Alpha Trading GmbH", "tin": "181/815/08155", "tin_country": "DE",
    "vat_id": "DE136695976", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin",
    "address_country": "DE", "business_registration_number": "HRB 12345", "iban": "DE89370400440532013000",
}
INDIVIDUAL = {
    "kind": "individual", "legal_name": "Marie Curie", "tin": "3023217600053", "tin_country": "FR",
    "street": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "address_country": "FR",
    "birth_date": "1980-05-17",
}


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


# A paid order from the factory (no webhook round trip), as the money pages' tests make it.
@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


@pytest.fixture
def year() -> int:
    return timezone.now().year


@pytest.fixture
def order(two_vendor_order, vendor_a, vendor_b):
    seller_identity_save(data=dict(ENTITY), vendor=vendor_a)
    seller_identity_save(data=dict(INDIVIDUAL), vendor=vendor_b)
    return two_vendor_order


def _quarter(order) -> int:
    return (order.paid_at.month - 1) // 3 + 1


def test_report_figures_per_quarter_are_consideration_activities_fees_and_taxes(order, vendor_a, year):
    sub = order.sub_orders.get(vendor=vendor_a)
    (report,) = dac7.seller_reports(year=year, vendor_id=vendor_a.pk)
    q = _quarter(order)
    figures = report.quarters[q]
    assert (figures.activities, figures.fees, figures.taxes) == (1, sub.commission_amount, 0)
    assert figures.consideration == sub.total_amount - sub.commission_amount
    assert all(report.quarters[other].activities == 0 for other in dac7.QUARTERS if other != q)
    assert report.identity is not None and report.identity.legal_name == "Alpha Trading GmbH"
    # A refund lowers what was credited; the seller's fee stays reported as withheld.
    sub.refunded_amount = 1000
    sub.save(update_fields=["refunded_amount"])
    (after,) = dac7.seller_reports(year=year, vendor_id=vendor_a.pk)
    assert after.quarters[q].consideration == figures.consideration - 1000
    assert dac7.seller_reports(year=year - 1, vendor_id=vendor_a.pk) == []


def test_csv_has_identity_and_quarters_in_major_units(order, vendor_a, year):
    sub = order.sub_orders.get(vendor=vendor_a)
    rows = list(csv.DictReader(io.StringIO(dac7.reports_csv(dac7.seller_reports(year=year)))))
    assert len(rows) == 2
    row = next(r for r in rows if r["vendor_id"] == str(vendor_a.pk))
    q = _quarter(order)
    assert row["tin"] == "18181508155" and row["bank_account"] == "DE•• •••• 3000"
    assert row[f"activities_q{q}"] == "1" and row["identity_complete"] == "yes"
    assert row[f"fees_q{q}"] == f"{sub.commission_amount / 100:.2f}"


def test_xml_carries_the_dpi_element_names_for_entities_and_individuals(order, vendor_a, vendor_b, year):
    sub_a = order.sub_orders.get(vendor=vendor_a)
    root = ET.fromstring(dac7.reports_xml(dac7.seller_reports(year=year), year=year, message_ref="DE-TEST-1"))
    assert root.tag == f"{{{dac7.DPI_NS}}}DPI_OECD" and root.get("version") == "1.0"
    spec = root.find("dpi:MessageSpec", NS)
    assert [child.tag.split("}")[1] for child in spec] == [
        "SendingEntityIN", "TransmittingCountry", "ReceivingCountry", "MessageType", "MessageRefId",
        "MessageTypeIndic", "ReportingPeriod", "Timestamp"]
    assert spec.findtext("dpi:ReportingPeriod", namespaces=NS) == f"{year}-12-31"
    assert root.find("dpi:DPIBody/dpi:PlatformOperator/dpi:DocSpec/stf:DocTypeIndic", NS).text == "OECD1"
    sellers = root.findall("dpi:DPIBody/dpi:ReportableSeller", NS)
    assert len(sellers) == 2
    entity = root.find(".//dpi:EntitySeller/dpi:Standard/dpi:EntSellerID", NS)
    assert entity.find("dpi:TIN", NS).get("issuedBy") == "DE" and entity.findtext("dpi:TIN", namespaces=NS) == "18181508155"
    assert entity.findtext("dpi:Name", namespaces=NS) == "Alpha Trading GmbH"
    assert entity.find("dpi:IN", NS).get("INType") == "BRN"
    individual = root.find(".//dpi:IndividualSeller/dpi:Standard/dpi:IndSellerID", NS)
    assert individual.findtext("dpi:Name/dpi:FirstName", namespaces=NS) == "Marie"
    assert individual.findtext("dpi:Name/dpi:LastName", namespaces=NS) == "Curie"
    assert individual.findtext("dpi:BirthInfo/dpi:BirthDate", namespaces=NS) == "1980-05-17"
    q = _quarter(order)
    seller_a = next(s for s in sellers if s.find(".//dpi:EntitySeller", NS) is not None)
    goods = seller_a.find("dpi:RelevantActivities/dpi:SaleOfGoods", NS)
    assert [child.tag.split("}")[1] for child in goods] == ["Consideration", "NumberOfActivities", "Fees", "Taxes"]
    assert [c.tag.split("}")[1] for c in goods.find("dpi:Consideration", NS)] == ["ConsQ1", "ConsQ2", "ConsQ3", "ConsQ4"]
    assert goods.findtext(f"dpi:NumberOfActivities/dpi:NumbQ{q}", namespaces=NS) == "1"
    fee = goods.find(f"dpi:Fees/dpi:FeesQ{q}", NS)
    assert fee.get("currCode") == "EUR" and fee.text == str(round(sub_a.commission_amount / 100))
    assert goods.find("dpi:Taxes/dpi:TaxQ1", NS) is not None


def test_a_seller_without_identity_is_in_the_csv_but_left_out_of_the_xml(two_vendor_order, vendor_a, year):
    seller_identity_save(data=dict(ENTITY), vendor=vendor_a)
    reports = dac7.seller_reports(year=year)
    rows = list(csv.DictReader(io.StringIO(dac7.reports_csv(reports))))
    assert sorted(r["identity_complete"] for r in rows) == ["no", "yes"]
    root = ET.fromstring(dac7.reports_xml(reports, year=year))
    assert len(root.findall("dpi:DPIBody/dpi:ReportableSeller", NS)) == 1


def test_1099k_needs_both_thresholds_exceeded(two_vendor_order, vendor_a, vendor_b, year, settings):
    vendor_a.country = "US"
    vendor_a.save(update_fields=["country"])
    Order.objects.filter(pk=two_vendor_order.pk).update(currency="USD")
    gross = two_vendor_order.sub_orders.get(vendor=vendor_a).total_amount
    settings.PAYOUTS_1099K_GROSS_THRESHOLD, settings.PAYOUTS_1099K_TRANSACTION_THRESHOLD = gross - 1, 0
    (row,) = dac7.form_1099k_summary(year=year)  # vendor B is not a US seller
    assert (row.vendor_id, row.gross, row.transactions, row.reportable) == (vendor_a.pk, gross, 1, True)
    settings.PAYOUTS_1099K_GROSS_THRESHOLD = gross  # not exceeded: equal is below
    assert not dac7.form_1099k_summary(year=year)[0].reportable
    settings.PAYOUTS_1099K_GROSS_THRESHOLD, settings.PAYOUTS_1099K_TRANSACTION_THRESHOLD = gross - 1, 1
    assert not dac7.form_1099k_summary(year=year)[0].reportable


def test_finance_page_and_downloads(order, client_for, finance_user, vendor_a, year):
    client = client_for("marketplace.localhost", finance_user)
    page = client.get(f"/ops/finance/dac7/?year={year}")
    assert page.status_code == 200
    body = page.content.decode()
    assert vendor_a.name in body and "1099-K" in body
    assert client.get("/ops/finance/dac7/?year=1999").status_code == 400
    download = client.get(f"/ops/finance/dac7/{year}.xml")
    assert download["Content-Type"] == "application/xml" and b"DPI_OECD" in download.content
    assert client.get(f"/ops/finance/dac7/{year + 1}.csv").status_code == 404


def test_a_vendor_sees_and_downloads_only_its_own_report(order, client_for, vendor_a, vendor_b, owner_a, year):
    client = client_for(vendor_a, owner_a)
    page = client.get(f"/dashboard/money/tax-report/?year={year}").content.decode()
    assert "Alpha" in page and vendor_b.name not in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/dashboard/money/tax-report/{year}.csv").content.decode())))
    assert [r["vendor_id"] for r in rows] == [str(vendor_a.pk)]
    xml = client.get(f"/dashboard/money/tax-report/{year}.xml").content
    assert b"Marie" not in xml and b"Alpha Trading GmbH" in xml
    staff = MembershipFactory(vendor=vendor_a, role="staff").user
    assert client_for(vendor_a, staff).get(f"/dashboard/money/tax-report/{year}.csv").status_code == 403


def test_command_writes_xml_and_refuses_bad_input(order, year, tmp_path, vendor_a):
    out = tmp_path / "dac7.xml"
    call_command("dac7_report", year=year, format="xml", output=str(out))
    assert ET.parse(out).getroot().tag == f"{{{dac7.DPI_NS}}}DPI_OECD"
    text = io.StringIO()
    call_command("dac7_report", year=year, format="1099k", stdout=text)
    assert text.getvalue().startswith("year,vendor_id,vendor,gross_usd,transactions,reportable")
    with pytest.raises(CommandError, match="--year"):
        call_command("dac7_report", year=1999)
    with pytest.raises(CommandError, match="No vendor"):
        call_command("dac7_report", year=year, vendor=987654)
