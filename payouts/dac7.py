"""DAC7 annual seller reports (consideration, activities, fees and taxes per quarter) as CSV and
as DPI XML (the OECD/EU element names), and the US Form 1099-K threshold summary (docs/adr/0088).

Consideration is what was paid or credited to the seller: the buyer's total less refunds, less the
platform's commission (reported as fees) and the tax the platform owed as deemed supplier
(reported as taxes). Activities are the seller's paid sub-orders. Quarters follow `paid_at` (UTC).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.money import exponent, to_major
from vendors.models import SellerIdentity, Vendor

DPI_NS = "urn:oecd:ties:dpi:v1"
STF_NS = "urn:oecd:ties:dpistf:v1"
QUARTERS = (1, 2, 3, 4)
CSV_HEADER = ["year", "vendor_id", "vendor", "seller_kind", "legal_name", "tin", "tin_country", "vat_id",
              "address", "address_country", "birth_date", "business_registration_number", "bank_account",
              "identity_complete", "currency",
              *[f"{name}_q{q}" for name in ("consideration", "activities", "fees", "taxes") for q in QUARTERS],
              "consideration_total", "activities_total", "fees_total", "taxes_total"]


@dataclass
class QuarterFigures:
    consideration: int = 0
    activities: int = 0
    fees: int = 0
    taxes: int = 0


@dataclass
class SellerReport:
    """One seller's figures for a year in one currency (a seller paid in two currencies has two)."""

    year: int
    vendor_id: int
    vendor_name: str
    currency: str
    identity: SellerIdentity | None
    quarters: dict[int, QuarterFigures] = field(default_factory=lambda: {q: QuarterFigures() for q in QUARTERS})

    def total(self, name: str) -> int:
        return sum(getattr(self.quarters[q], name) for q in QUARTERS)

    @property
    def quarter_list(self) -> list[tuple[int, QuarterFigures]]:
        return [(q, self.quarters[q]) for q in QUARTERS]

    @property
    def totals(self) -> QuarterFigures:
        return QuarterFigures(*(self.total(name) for name in ("consideration", "activities", "fees", "taxes")))


def _paid_sub_orders(year: int) -> Any:
    from orders.models import SubOrder

    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    return SubOrder.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end)


def seller_reports(*, year: int, vendor_id: int | None = None) -> list[SellerReport]:
    """The year's reports, per vendor and currency, ordered by vendor; `vendor_id` limits to one."""
    subs = _paid_sub_orders(year)
    if vendor_id is not None:
        subs = subs.filter(vendor_id=vendor_id)
    aggregates: dict[str, Any] = {}
    for q in QUARTERS:
        in_q = Q(order__paid_at__quarter=q)
        aggregates[f"gross{q}"] = Coalesce(Sum(F("total_amount") - F("refunded_amount"), filter=in_q), 0)
        aggregates[f"count{q}"] = Count("id", filter=in_q)
        aggregates[f"fees{q}"] = Coalesce(Sum("commission_amount", filter=in_q), 0)
        aggregates[f"taxes{q}"] = Coalesce(Sum("platform_tax_amount", filter=in_q), 0)
    rows = (subs.values("vendor_id", "vendor__name", "order__currency").annotate(**aggregates)
            .order_by("vendor_id", "order__currency"))
    identities = {i.vendor_id: i for i in SellerIdentity.objects.filter(vendor_id__in={r["vendor_id"] for r in rows})}
    reports = []
    for row in rows:
        report = SellerReport(year=year, vendor_id=row["vendor_id"], vendor_name=row["vendor__name"],
                              currency=row["order__currency"], identity=identities.get(row["vendor_id"]))
        for q in QUARTERS:
            fees, taxes = row[f"fees{q}"], row[f"taxes{q}"]
            # A refund after the fees were kept can leave less than nothing: nothing was credited.
            report.quarters[q] = QuarterFigures(consideration=max(0, row[f"gross{q}"] - fees - taxes),
                                                activities=row[f"count{q}"], fees=fees, taxes=taxes)
        reports.append(report)
    return reports


def _identity_cells(identity: SellerIdentity | None) -> list[Any]:
    if identity is None:
        return [""] * 10 + ["no"]
    address = f"{identity.street}, {identity.postal_code} {identity.city}"
    return [identity.kind, identity.legal_name, identity.tin, identity.tin_country, identity.vat_id, address,
            identity.address_country, identity.birth_date.isoformat() if identity.birth_date else "",
            identity.business_registration_number, identity.iban_masked, "yes"]


def reports_csv(reports: list[SellerReport]) -> str:
    """Money as major-unit text with the currency's decimals, as the other finance exports."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in reports:
        cells: list[Any] = [r.year, r.vendor_id, r.vendor_name, *_identity_cells(r.identity), r.currency]
        for name in ("consideration", "activities", "fees", "taxes"):
            for q in QUARTERS:
                value = getattr(r.quarters[q], name)
                cells.append(value if name == "activities" else to_major(value, r.currency))
        cells += [to_major(r.total("consideration"), r.currency), r.total("activities"),
                  to_major(r.total("fees"), r.currency), to_major(r.total("taxes"), r.currency)]
        writer.writerow(cells)
    return out.getvalue()


# --- DPI XML ---------------------------------------------------------------------------------------
def _el(parent: ET.Element, name: str, text: Any = None, ns: str = DPI_NS, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{name}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _whole_units(amount: int, currency: str) -> int:
    """DPI monetary amounts are whole units of the currency (rounded half up)."""
    return int((Decimal(amount) / (Decimal(10) ** exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _doc_spec(parent: ET.Element, ref: str) -> None:
    spec = _el(parent, "DocSpec")
    _el(spec, "DocTypeIndic", "OECD1", ns=STF_NS)
    _el(spec, "DocRefId", ref, ns=STF_NS)


def _address(parent: ET.Element, country: str, free: str) -> None:
    address = _el(parent, "Address", legalAddressType="OECD303")
    _el(address, "CountryCode", country)
    _el(address, "AddressFree", free)


def _seller_identity(parent: ET.Element, identity: SellerIdentity) -> None:
    identity_el = _el(parent, "Identity")
    individual = identity.kind == SellerIdentity.Kind.INDIVIDUAL
    seller = _el(identity_el, "IndividualSeller" if individual else "EntitySeller")
    standard = _el(seller, "Standard")
    seller_id = _el(standard, "IndSellerID" if individual else "EntSellerID")
    _el(seller_id, "ResCountryCode", identity.address_country)
    _el(seller_id, "TIN", identity.tin, issuedBy=identity.tin_country)
    if identity.vat_id:
        _el(seller_id, "VAT", identity.vat_id)
    if individual:
        name = _el(seller_id, "Name", nameType="OECD202")
        first, _sep, last = identity.legal_name.rpartition(" ")
        _el(name, "FirstName", first or last)
        _el(name, "LastName", last)
    else:
        _el(seller_id, "IN", identity.business_registration_number, issuedBy=identity.address_country,
            INType="BRN")
        _el(seller_id, "Name", identity.legal_name)
    _address(seller_id, identity.address_country, f"{identity.street}, {identity.postal_code} {identity.city}")
    if individual and identity.birth_date:
        birth = _el(seller_id, "BirthInfo")
        _el(birth, "BirthDate", identity.birth_date.isoformat())
    if identity.iban_masked:
        financial = _el(standard, "FinancialIdentifier")
        _el(financial, "Identifier", identity.iban_masked, AccountNumberType="OECD601")


def _activities(parent: ET.Element, report: SellerReport) -> None:
    sale = _el(_el(parent, "RelevantActivities"), "SaleOfGoods")
    cur = report.currency
    groups = (("Consideration", "ConsQ", "consideration"), ("NumberOfActivities", "NumbQ", "activities"),
              ("Fees", "FeesQ", "fees"), ("Taxes", "TaxQ", "taxes"))
    for group, prefix, name in groups:
        group_el = _el(sale, group)
        for q in QUARTERS:
            value = getattr(report.quarters[q], name)
            if name == "activities":
                _el(group_el, f"{prefix}{q}", value)
            else:
                _el(group_el, f"{prefix}{q}", _whole_units(value, cur), currCode=cur)


def reports_xml(reports: list[SellerReport], *, year: int, message_ref: str = "") -> bytes:
    """A DPI message (DPI_OECD) with the operator and each seller whose identity is complete;
    sellers without an identity are left out of the XML (the CSV and the page list them)."""
    ET.register_namespace("dpi", DPI_NS)
    ET.register_namespace("stf", STF_NS)
    operator_country = settings.PAYOUTS_DAC7_OPERATOR_COUNTRY
    operator_tin = settings.PAYOUTS_DAC7_OPERATOR_TIN
    ref = message_ref or f"{operator_country}{year}-{operator_tin}-{timezone.now():%Y%m%d%H%M%S}"
    root = ET.Element(f"{{{DPI_NS}}}DPI_OECD", {"version": "1.0"})
    spec = _el(root, "MessageSpec")
    for name, value in (("SendingEntityIN", operator_tin), ("TransmittingCountry", operator_country),
                        ("ReceivingCountry", operator_country), ("MessageType", "DPI"), ("MessageRefId", ref),
                        ("MessageTypeIndic", "DPI401"), ("ReportingPeriod", f"{year}-12-31"),
                        ("Timestamp", timezone.now().strftime("%Y-%m-%dT%H:%M:%S"))):
        _el(spec, name, value)
    body = _el(root, "DPIBody")
    operator = _el(body, "PlatformOperator")
    _el(operator, "ResCountryCode", operator_country)
    _el(operator, "TIN", operator_tin, issuedBy=operator_country)
    _el(operator, "Name", settings.PAYOUTS_DAC7_OPERATOR_NAME)
    _address(operator, operator_country, settings.PAYOUTS_DAC7_OPERATOR_ADDRESS)
    _doc_spec(operator, f"{ref}-operator")
    for report in reports:
        if report.identity is None:
            continue
        seller = _el(body, "ReportableSeller")
        _seller_identity(seller, report.identity)
        _activities(seller, report)
        _doc_spec(seller, f"{ref}-{report.vendor_id}-{report.currency}")
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


# --- US Form 1099-K ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Form1099KRow:
    vendor_id: int
    vendor_name: str
    gross: int  # USD cents: gross payments, before refunds, fees and adjustments (as Form 1099-K box 1a)
    transactions: int
    reportable: bool


def form_1099k_summary(*, year: int) -> list[Form1099KRow]:
    """US sellers' USD sales in the year against the thresholds in settings (both must be exceeded)."""
    us_vendors = Vendor.objects.filter(Q(country="US") | Q(seller_identity__address_country="US"))
    rows = (_paid_sub_orders(year).filter(order__currency="USD", vendor__in=us_vendors)
            .values("vendor_id", "vendor__name")
            .annotate(gross=Coalesce(Sum("total_amount"), 0), transactions=Count("id")).order_by("vendor_id"))
    gross_limit = settings.PAYOUTS_1099K_GROSS_THRESHOLD
    count_limit = settings.PAYOUTS_1099K_TRANSACTION_THRESHOLD
    return [Form1099KRow(r["vendor_id"], r["vendor__name"], r["gross"], r["transactions"],
                         r["gross"] > gross_limit and r["transactions"] > count_limit) for r in rows]
