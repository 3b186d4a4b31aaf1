"""Finance exports: validation, once per parameters, CSV/XLSX content, signed links, S3, memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from payouts import exports
from payouts import transfers as svc
from payouts.errors import ExportNotReady, ExportRequestInvalid, ReportPeriodInvalid
from payouts.models import ExportJob, Payout
from payouts.payouts import payout_record_apply
from tests.factories.orders import paid_orders
from tests.support.queued import queued_tasks
from tests.support.s3 import create_bucket

# Periods end "today": the clock is at noon (tests/fixtures/clock.py) so rows and period agree.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


def _today() -> dt.date:
    return timezone.now().date()


def _period() -> dict[str, str]:
    return {"date_from": (_today() - dt.timedelta(days=2)).isoformat(), "date_to": _today().isoformat()}


@pytest.fixture
def settled(two_vendor_order, vendor_a, connected):
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    payout_record_apply(data={"id": "po_export1", "amount": 1234, "currency": "eur", "status": "paid"},
                        account_id=connected["a"], event_created=int(time.time()))
    return two_vendor_order


@pytest.mark.parametrize("params,error,field", [
    ({}, ReportPeriodInvalid, "date_from"),
    ({"date_from": "2026-02-10", "date_to": "2026-02-01"}, ReportPeriodInvalid, "date_to"),
    ({"date_from": "yesterday", "date_to": "2026-02-01"}, ReportPeriodInvalid, "date_from"),
    ({"date_from": "2020-01-01", "date_to": "2026-02-01"}, ReportPeriodInvalid, "date_to"),
    ({"date_from": "2026-01-01", "date_to": "2026-01-31", "vendor_id": 987654}, ExportRequestInvalid, "vendor_id"),
])
def test_bad_requests_are_refused_and_nothing_is_written(finance_user, params, error, field):
    with pytest.raises(error) as raised:
        exports.export_request(kind="payout_report", fmt="csv", params=params, user=finance_user)
    assert field in raised.value.fields
    assert not ExportJob.objects.exists()


def test_vendor_statement_needs_a_vendor_and_tax_summary_a_year(finance_user):
    with pytest.raises(ExportRequestInvalid):
        exports.export_request(kind="vendor_statement", fmt="csv", params=_period(), user=finance_user)
    with pytest.raises(ReportPeriodInvalid):
        exports.export_request(kind="tax_summary", fmt="csv", params={"year": 1999}, user=finance_user)
    with pytest.raises(ExportRequestInvalid):
        exports.export_request(kind="everything", fmt="csv", params=_period(), user=finance_user)
    with pytest.raises(ExportRequestInvalid):
        exports.export_request(kind="payout_report", fmt="pdf", params=_period(), user=finance_user)


def test_requested_twice_is_the_same_job(finance_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = exports.export_request(kind="payout_report", fmt="csv", params=_period(), user=finance_user)
        again, created_again = exports.export_request(kind="payout_report", fmt="csv",
                                                      params=dict(reversed(list(_period().items()))),
                                                      user=finance_user)
    assert created and not created_again and first.pk == again.pk
    assert queued_tasks(callbacks) == [("payouts.tasks.export_job_run", (first.pk,), "public")]
    assert ExportJob.objects.count() == 1


def _run(kind, fmt, params, user):
    job = ExportJob.objects.create(kind=kind, format=fmt, params=exports.export_params_clean(kind=kind, params=params),
                                   params_checksum=f"t-{kind}-{fmt}-{time.time_ns()}", requested_by=user)
    return exports.export_job_run(job_id=job.pk)


def _csv(job) -> list[list[str]]:
    with exports.export_open(job) as handle:
        return list(csv.reader(io.StringIO(handle.read().decode())))


def test_payout_report_has_a_row_per_transfer_and_payout(settled, finance_user, vendor_a, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    job = _run("payout_report", "csv", _period(), finance_user)
    assert job.status == "done" and job.rows == 3 and job.progress == 100
    rows = _csv(job)
    assert rows[0][:3] == ["type", "date", "vendor_id"]
    assert sorted(r[0] for r in rows[1:]) == ["payout", "transfer", "transfer"]
    transfer_row = next(r for r in rows if r[0] == "transfer" and r[2] == str(vendor_a.pk))
    amount = settled.sub_orders.get(vendor=vendor_a).net_amount
    from common.money import to_major

    assert transfer_row[6] == str(to_major(amount, "EUR")) and transfer_row[10] == "transferred"
    assert (tmp_path / "finance-exports").exists()
    # the email carries a signed link that works, and a forged one does not
    assert mail.outbox and "/ops/finance/exports/download/" in mail.outbox[-1].body


def test_commission_statement_and_tax_summary(settled, finance_user, vendor_a, vendor_b, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    commission = _csv(_run("commission_report", "csv", _period(), finance_user))
    lines = settled.lines.all()
    assert len(commission) == 1 + lines.count()
    from common.money import to_major

    assert sorted(r[7] for r in commission[1:]) == sorted(str(to_major(line.commission_amount, "EUR")) for line in lines)
    statement = _csv(_run("vendor_statement", "csv", {**_period(), "vendor_id": vendor_b.pk}, finance_user))
    assert [r[0] for r in statement[1:]] == ["sale"]  # bravo: one sale, no payout (alpha's is not here)
    tax = _csv(_run("tax_summary", "csv", {"year": settled.paid_at.year}, finance_user))
    by_vendor = {r[1]: r for r in tax[1:]}
    sub_a = settled.sub_orders.get(vendor=vendor_a)
    row = by_vendor[str(vendor_a.pk)]
    quarter = (settled.paid_at.month - 1) // 3 + 1
    header = tax[0]
    assert row[header.index("country")] == vendor_a.country
    assert row[header.index("number_of_sales")] == "1"
    assert row[header.index("gross")] == str(to_major(sub_a.total_amount, "EUR"))
    assert row[header.index(f"q{quarter}_gross")] == str(to_major(sub_a.total_amount, "EUR"))
    assert row[header.index(f"q{quarter}_commissions")] == str(to_major(sub_a.commission_amount, "EUR"))


def test_xlsx_export(settled, finance_user, tmp_path, settings):
    from openpyxl import load_workbook

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    job = _run("payout_report", "xlsx", _period(), finance_user)
    with exports.export_open(job) as handle:
        workbook = load_workbook(io.BytesIO(handle.read()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "type" and len(rows) == 1 + 3 + 2  # header, 2 transfers + 1 payout, 2 totals rows
    assert [r[0] for r in rows[-2:]] == ["total transfer", "total payout"]


def _xlsx(job):
    from openpyxl import load_workbook

    with exports.export_open(job) as handle:
        return load_workbook(io.BytesIO(handle.read())).active


def test_xlsx_payout_report_has_numbers_formats_and_totals_that_match_the_csv(settled, finance_user, tmp_path,
                                                                              settings):
    """Amounts are numeric cells in major units with the currency's decimals; the bottom rows total
    each type and currency, equal to the CSV's amounts summed in minor units, to the cent."""
    from collections import defaultdict
    from decimal import Decimal

    from common.money import parse_amount

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    csv_rows = _csv(_run("payout_report", "csv", _period(), finance_user))
    sheet = _xlsx(_run("payout_report", "xlsx", _period(), finance_user))
    header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == csv_rows[0]  # same columns, same order: currency right after the amounts
    col = {name: header.index(name) for name in header}
    money = ("amount", "reversed", "net")

    # the frozen, bold header and readable widths
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])
    assert sheet.column_dimensions["B"].width >= 25 and sheet.column_dimensions["G"].width >= 12

    # data rows: the CSV's rows, amounts as numbers equal to the CSV's text, formatted with 2 decimals
    body, totals = data[:-2], data[-2:]
    assert len(body) == len(csv_rows) - 1 == 3
    for number, (row, text) in enumerate(zip(body, csv_rows[1:], strict=True), start=2):
        for name in money:
            value = row[col[name]]
            if text[col[name]] == "":
                assert value is None
                continue
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert Decimal(str(value)) == Decimal(text[col[name]])
            cell = sheet.cell(row=number, column=col[name] + 1)
            assert cell.number_format == "#,##0.00" and cell.data_type == "n"
        assert row[col["currency"]] == text[col["currency"]] == "EUR"

    # totals: per type and currency, equal to the CSV's minor units summed
    expected: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for text in csv_rows[1:]:
        for name in money:
            if text[col[name]]:
                expected[(text[0], text[col["currency"]])][name] += parse_amount(text[col[name]], "EUR")
    assert [(r[0], r[col["currency"]]) for r in totals] == [("total transfer", "EUR"), ("total payout", "EUR")]
    for number, row in enumerate(totals, start=len(data)):  # sheet rows: header is row 1
        kind = row[0].removeprefix("total ")
        for name in money:
            value = row[col[name]]
            if name not in expected[(kind, "EUR")]:
                assert value is None  # payouts have no "reversed"
                continue
            assert parse_amount(Decimal(str(value)).quantize(Decimal("0.01")), "EUR") == expected[(kind, "EUR")][name]
            cell = sheet.cell(row=number, column=col[name] + 1)
            assert cell.font.b and cell.number_format == "#,##0.00"
    transfer_net = sum(s.net_amount for s in settled.sub_orders.all())
    assert expected[("transfer", "EUR")]["net"] == transfer_net


def test_xlsx_amounts_use_each_currencys_decimals_and_csv_stays_major_unit_text(tmp_path):
    """EUR 2 decimals, JPY none, KWD 3: the same rows through both writers."""
    from decimal import Decimal

    from openpyxl import load_workbook

    source = [["transfer", "t1", 1250, 0, "EUR"], ["transfer", "t2", 1250, 50, "JPY"],
              ["transfer", "t3", 1250, None, "KWD"], ["transfer", "t4", 1, 0, "EUR"],
              ["payout", "p1", 99999, None, "EUR"]]
    rows = exports.Rows(["type", "reference", "amount", "reversed", "currency"], lambda: len(source),
                        lambda: iter([list(r) for r in source]), money=frozenset({"amount", "reversed"}),
                        group="type")
    path = tmp_path / "out.csv"
    with path.open("wb") as out:
        exports._write_csv(out, rows, lambda: None)
    assert list(csv.reader(io.StringIO(path.read_text()))) == [
        ["type", "reference", "amount", "reversed", "currency"], ["transfer", "t1", "12.50", "0.00", "EUR"],
        ["transfer", "t2", "1250", "50", "JPY"], ["transfer", "t3", "1.250", "", "KWD"],
        ["transfer", "t4", "0.01", "0.00", "EUR"], ["payout", "p1", "999.99", "", "EUR"]]
    path = tmp_path / "out.xlsx"
    with path.open("wb") as out:
        exports._write_xlsx(out, rows, lambda: None)
    sheet = load_workbook(path).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    formats = [[c.number_format for c in r] for r in sheet.iter_rows()]
    assert values[1:6] == [["transfer", "t1", 12.5, 0, "EUR"], ["transfer", "t2", 1250, 50, "JPY"],
                           ["transfer", "t3", 1.25, None, "KWD"], ["transfer", "t4", 0.01, 0, "EUR"],
                           ["payout", "p1", 999.99, None, "EUR"]]
    assert [f[2] for f in formats[1:6]] == ["#,##0.00", "#,##0", "#,##0.000", "#,##0.00", "#,##0.00"]
    # one totals row per type and currency, types in order of appearance, currencies sorted
    assert values[6:] == [["total transfer", None, 12.51, 0, "EUR"], ["total transfer", None, 1250, 50, "JPY"],
                          ["total transfer", None, 1.25, None, "KWD"], ["total payout", None, 999.99, None, "EUR"]]
    assert [f[2] for f in formats[6:]] == ["#,##0.00", "#,##0", "#,##0.000", "#,##0.00"]
    assert Decimal(str(values[6][2])) == Decimal("12.51")


def test_xlsx_export_streams_its_cells(vendor_a, finance_user, tmp_path, settings):
    """The styled XLSX stays write-only: cells are streamed to the file, only the shared-strings
    table grows with the rows (well under a kilobyte a row; a worksheet kept in memory costs
    several). `make bench` exports 100k rows; here a small and a larger run are compared."""
    from bench.finance_bench import measure_export, seed_transfers

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    period = {"date_from": _today() - dt.timedelta(days=1), "date_to": _today()}
    seed_transfers(count=1_500, vendor=vendor_a, buyer=finance_user, tag="tx1")
    measure_export(fmt="xlsx", **period)  # warm-up: first-use allocations are not per row
    small = measure_export(fmt="xlsx", **period)
    seed_transfers(count=4_500, vendor=vendor_a, buyer=finance_user, tag="tx2")
    large = measure_export(fmt="xlsx", **period)
    print(f"\nxlsx export peaks: {small['rows']} rows {small['peak_mb']:.1f} MB, "
          f"{large['rows']} rows {large['peak_mb']:.1f} MB")
    assert small["status"] == large["status"] == "done"
    assert (small["rows"], large["rows"]) == (1_500, 6_000)
    assert (large["peak_mb"] - small["peak_mb"]) * 1024 / 4_500 < 0.75  # KB per extra row


def test_signed_link_expires_and_cannot_be_forged(settled, finance_user, tmp_path, settings):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    job = _run("payout_report", "csv", _period(), finance_user)
    url = exports.export_download_url(job=job)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert exports.export_for_token(token).pk == job.pk
    assert exports.export_for_token(token[:-2] + "xx") is None
    assert exports.export_for_token(f"{job.pk + 1}:" + token.split(":", 1)[1]) is None
    settings.PAYOUTS_EXPORT_LINK_SECONDS = -1
    assert exports.export_for_token(token) is None
    queued = ExportJob.objects.create(kind="payout_report", format="csv", params=_period(), params_checksum="q")
    with pytest.raises(ExportNotReady):
        exports.export_download_url(job=queued)


def test_s3_storage_with_moto_server(settled, finance_user, moto_s3):
    import requests

    endpoint, s3 = moto_s3
    for bucket in ("finance-private", "finance-exports"):
        create_bucket(s3, bucket)
    # With an exports bucket configured (production's expiring one), exports go there.
    with override_settings(AWS_PRIVATE_BUCKET_NAME="finance-private", AWS_S3_ENDPOINT_URL=endpoint,
                           AWS_S3_REGION_NAME="eu-west-1", AWS_EXPORTS_BUCKET_NAME="finance-exports"):
        job = _run("payout_report", "csv", _period(), finance_user)
        assert job.status == "done", job.error
        assert s3.list_objects_v2(Bucket="finance-exports").get("KeyCount") == 1
        assert s3.list_objects_v2(Bucket="finance-private").get("KeyCount") == 0
    s3.delete_object(Bucket="finance-exports",
                     Key=s3.list_objects_v2(Bucket="finance-exports")["Contents"][0]["Key"])
    with override_settings(AWS_PRIVATE_BUCKET_NAME="finance-private", AWS_S3_ENDPOINT_URL=endpoint,
                           AWS_S3_REGION_NAME="eu-west-1"):
        job = _run("payout_report", "csv", _period(), finance_user)
        assert job.status == "done", job.error
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="finance-private")["Contents"]]
        assert keys == [f"finance-exports/{job.file}"] or keys == [job.file]
        url = exports.export_download_url(job=job)
        assert "Signature" in url or "X-Amz-Signature" in url
        body = requests.get(url, timeout=10)
        assert body.status_code == 200 and body.content.startswith(b"type,date,vendor_id")


def test_failed_job_is_recorded_and_rerun_on_request(finance_user, django_capture_on_commit_callbacks):
    job, _created = exports.export_request(kind="payout_report", fmt="csv", params=_period(), user=finance_user)
    ExportJob.objects.filter(pk=job.pk).update(status="failed", error="disk full")
    with django_capture_on_commit_callbacks() as callbacks:
        again, created = exports.export_request(kind="payout_report", fmt="csv", params=_period(), user=finance_user)
    assert created and again.pk == job.pk and again.status == "queued"
    assert queued_tasks(callbacks) == [("payouts.tasks.export_job_run", (job.pk,), "public")]


def test_csv_export_memory_does_not_grow_with_the_rows(vendor_a, finance_user, tmp_path, settings):
    """Rows stream from a server-side cursor to the file: five times the rows, about the same peak.
    (`make bench` exports 100k rows; here a small and a larger run are compared.)"""
    from bench.finance_bench import measure_export, seed_transfers

    settings.PRIVATE_MEDIA_ROOT = tmp_path
    period = {"date_from": _today() - dt.timedelta(days=1), "date_to": _today()}
    seed_transfers(count=4_000, vendor=vendor_a, buyer=finance_user, tag="tc1")
    assert Payout.objects.count() == 0
    measure_export(fmt="csv", **period)  # warm-up: first-use allocations are not per row
    small = measure_export(fmt="csv", **period)
    seed_transfers(count=16_000, vendor=vendor_a, buyer=finance_user, tag="tc2")
    large = measure_export(fmt="csv", **period)
    print(f"\ncsv export peaks: {small['rows']} rows {small['peak_mb']:.1f} MB, "
          f"{large['rows']} rows {large['peak_mb']:.1f} MB")
    assert small["status"] == large["status"] == "done"
    assert (small["rows"], large["rows"]) == (4_000, 20_000)
    assert large["peak_mb"] < small["peak_mb"] * 1.25 + 2
