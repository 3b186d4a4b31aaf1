"""A vendor's monthly statement: its sales, deductions, transfers and payouts, as CSV or PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import format_money_localized
from common.spreadsheets import csv_text
from payouts import selectors
from payouts.errors import ReportPeriodInvalid
from payouts.models import Payout


@dataclass
class Statement:
    vendor: Any
    year: int
    month: int
    currency: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ReportPeriodInvalid(_("Unknown month."), fields={"month": [_("Unknown month.")]})
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def vendor_statement(*, vendor: Any, year: int, month: int) -> Statement:
    """Everything of `vendor` in the month (UTC): sub-orders paid in it and payouts created in it."""
    start, end = month_bounds(year, month)
    statement = Statement(vendor=vendor, year=year, month=month, currency=vendor.currency)
    paid_out_until = selectors.vendor_paid_out_until(vendor_id=vendor.pk, currency=vendor.currency)
    totals = {"gross": 0, "commission": 0, "deductions": 0, "net": 0, "payouts": 0}
    for sub in selectors.vendor_money_rows(vendor_id=vendor.pk).filter(
        order__paid_at__gte=start, order__paid_at__lt=end
    ).order_by("order__paid_at", "id"):
        transfer = getattr(sub, "transfer", None)
        deductions = transfer.amount_reversed if transfer else 0
        net = sub.net_amount - deductions
        statement.lines.append({
            "date": sub.order.paid_at.date().isoformat(), "order": sub.order.number,
            "gross": sub.total_amount, "commission": sub.commission_amount,
            "deductions": deductions, "net": net,
            "status": selectors.money_status(sub, paid_out_until),
            "transfer": transfer.stripe_transfer_id if transfer else "",
        })
        totals["gross"] += sub.total_amount
        totals["commission"] += sub.commission_amount
        totals["deductions"] += deductions
        totals["net"] += net
    for payout in Payout.objects.filter(vendor_id=vendor.pk, created_at__gte=start, created_at__lt=end
                                        ).order_by("created_at", "id"):
        statement.payouts.append({
            "date": payout.created_at.date().isoformat(), "payout": payout.stripe_payout_id,
            "amount": payout.amount, "currency": payout.currency, "status": payout.status,
        })
        if payout.status == Payout.Status.PAID:
            totals["payouts"] += payout.amount
    statement.totals = totals
    return statement


def _major(amount: int, currency: str) -> str:
    from common.money import to_major

    return str(to_major(amount, currency))


STATEMENT_HEADER = ["section", "date", "reference", "gross", "commission", "deductions", "net",
                    "currency", "status"]


def statement_rows(statement: Statement) -> Iterator[list[str]]:
    c = statement.currency
    for line in statement.lines:
        yield ["sale", line["date"], line["order"], _major(line["gross"], c), _major(line["commission"], c),
               _major(line["deductions"], c), _major(line["net"], c), c, line["status"]]
    for payout in statement.payouts:
        yield ["payout", payout["date"], payout["payout"], "", "", "", _major(payout["amount"], payout["currency"]),
               payout["currency"], payout["status"]]
    t = statement.totals
    yield ["total", statement.period, "", _major(t["gross"], c), _major(t["commission"], c),
           _major(t["deductions"], c), _major(t["net"], c), c, ""]


_STATEMENT_MONEY = frozenset(STATEMENT_HEADER.index(name) for name in ("gross", "commission", "deductions", "net"))


def statement_csv(statement: Statement) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STATEMENT_HEADER)
    for row in statement_rows(statement):
        # Text cells are neutralised; amounts stay "-12.50" for the machines that read them.
        writer.writerow([value if index in _STATEMENT_MONEY else csv_text(value) for index, value in enumerate(row)])
    return buffer.getvalue().encode("utf-8")


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1: anything else is replaced rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _money_status_label(status: str) -> str:
    return {
        "pending": _("Pending"), "held": _("Held"), "transferred": _("Transferred"),
        "paid_out": _("Paid out"), "reversed": _("Reversed"),
    }.get(status, status.replace("_", " "))


def statement_pdf(statement: Statement) -> bytes:
    """The statement for people, in the active language: amounts as that locale writes them
    (right-aligned), statuses translated; the CSV keeps machine-readable values."""
    from fpdf import FPDF

    c = statement.currency
    money = format_money_localized
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_compression(False)  # small documents; the text stays searchable and diffable
    pdf.set_title(_latin1(f"Statement {statement.period} {statement.vendor.name}"))
    pdf.set_author("Marketplace")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(_("Statement %(period)s") % {"period": statement.period}), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin1(f"{statement.vendor.name} ({statement.vendor.slug}) · {statement.vendor.country}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, _latin1(_("Generated %(when)s") % {"when": timezone.now().strftime("%Y-%m-%d %H:%M UTC")}),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (24, 22, 30, 30, 28, 30, 26)
    headers = (_("Date"), _("Order"), _("Gross"), _("Commission"), _("Deductions"), _("Net"), _("Status"))
    pdf.set_font("Helvetica", "B", 9)
    for width, header in zip(widths, headers, strict=True):
        pdf.cell(width, 7, _latin1(header), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    if not statement.lines:
        pdf.cell(sum(widths), 7, _latin1(_("No sales in this month.")), border=1, new_x="LMARGIN", new_y="NEXT")
    aligns = ("L", "L", "R", "R", "R", "R", "L")
    for line in statement.lines:
        values = (line["date"], line["order"], money(line["gross"], c),
                  money(line["commission"], c), money(line["deductions"], c),
                  money(line["net"], c), _money_status_label(line["status"]))
        for width, value, align in zip(widths, values, aligns, strict=True):
            pdf.cell(width, 6, _latin1(value), border=1, align=align)
        pdf.ln()
    t = statement.totals
    pdf.set_font("Helvetica", "B", 9)
    for width, value, align in zip(widths, ("", _("Total"), money(t["gross"], c), money(t["commission"], c),
                                            money(t["deductions"], c), money(t["net"], c), ""), aligns,
                                   strict=True):
        pdf.cell(width, 7, _latin1(value), border=1, align=align)
    pdf.ln(10)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin1(_("Payouts to your bank")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    if not statement.payouts:
        pdf.cell(0, 6, _latin1(_("No payouts in this month.")), new_x="LMARGIN", new_y="NEXT")
    for payout in statement.payouts:
        pdf.cell(0, 6, _latin1(f"{payout['date']}  {payout['payout']}  "
                               f"{money(payout['amount'], payout['currency'])}  "
                               f"{Payout.Status(payout['status']).label}"),
                 new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

