"""Finance exports (CSV/XLSX): requested once per parameters, built by a Celery task in constant
memory (rows streamed with `.iterator()`, written to a temporary file, then stored), delivered as
an expiring signed link (local files) or an S3 presigned URL, plus an email.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from common.locks import EXPORT_JOB, advisory_lock_free, advisory_lock_try
from common.mail import send_mail_localized
from common.money import exponent, to_major
from common.spreadsheets import csv_text, formula_like
from payouts.errors import ExportNotReady, ExportRequestInvalid, ReportPeriodInvalid
from payouts.models import CommissionRule, ExportJob, Payout, Transfer

logger = logging.getLogger(__name__)

CHUNK = 2000
PROGRESS_EVERY = 5000
SIGNER_SALT = "payouts.export.download"
MAX_PERIOD_DAYS = 3 * 366
# A queued job whose task has not started after this long lost its message (the beat queues it again).
STALLED_AFTER = dt.timedelta(minutes=10)


# ---------------------------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------------------------
def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ReportPeriodInvalid(_("Enter a valid date."), fields={name: [_("Enter a valid date.")]}) from None


def period_clean(date_from: Any, date_to: Any) -> tuple[dt.date, dt.date]:
    """An inclusive period [date_from, date_to]; empty or inverted is refused."""
    if not date_from or not date_to:
        raise ReportPeriodInvalid(_("Choose a period."), fields={"date_from": [_("Required.")], "date_to": [_("Required.")]})
    start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
    if end < start:
        raise ReportPeriodInvalid(_("The period ends before it starts."),
                                  fields={"date_to": [_("Must be on or after the start.")]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ReportPeriodInvalid(_("Choose a period of at most three years."), fields={"date_to": [_("Too long.")]})
    return start, end


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC))


def _vendor_id(value: Any, *, required: bool) -> int | None:
    from vendors.models import Vendor

    if value in (None, ""):
        if required:
            raise ExportRequestInvalid(_("Choose a vendor."), fields={"vendor_id": [_("Required.")]})
        return None
    try:
        vendor_id = int(value)
    except (TypeError, ValueError):
        vendor_id = 0
    if not Vendor.objects.filter(pk=vendor_id).exists():
        raise ExportRequestInvalid(_("Unknown vendor."), fields={"vendor_id": [_("Unknown vendor.")]})
    return vendor_id


def export_params_clean(*, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    if kind not in ExportJob.Kind.values:
        raise ExportRequestInvalid(_("Unknown export."), fields={"kind": [_("Choose an export.")]})
    if kind == ExportJob.Kind.TAX_SUMMARY:
        try:
            year = int(params.get("year") or 0)
        except (TypeError, ValueError):
            year = 0
        if not 2000 <= year <= timezone.now().year:
            raise ReportPeriodInvalid(_("Choose a past or current year."), fields={"year": [_("Invalid year.")]})
        return {"year": year}
    start, end = period_clean(params.get("date_from"), params.get("date_to"))
    vendor_id = _vendor_id(params.get("vendor_id"), required=kind == ExportJob.Kind.VENDOR_STATEMENT)
    cleaned: dict[str, Any] = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    if vendor_id is not None:
        cleaned["vendor_id"] = vendor_id
    return cleaned


def params_checksum(*, kind: str, fmt: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"kind": kind, "format": fmt, "params": params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_seconds() -> int:
    return int(getattr(settings, "PAYOUTS_EXPORT_LINK_SECONDS", 24 * 3600))


@transaction.atomic
def export_request(*, kind: str, fmt: str, params: dict[str, Any], user: Any) -> tuple[ExportJob, bool]:
    """The job for these parameters: (job, True) when queued now, (job, False) when it already
    exists (queued, running, or done with a link still valid): asking twice is a no-op."""
    if fmt not in ExportJob.Format.values:
        raise ExportRequestInvalid(_("Choose CSV or XLSX."), fields={"format": [_("Choose CSV or XLSX.")]})
    cleaned = export_params_clean(kind=kind, params=params)
    checksum = params_checksum(kind=kind, fmt=fmt, params=cleaned)
    job, created = ExportJob.objects.select_for_update().get_or_create(
        params_checksum=checksum,
        defaults={"kind": kind, "format": fmt, "params": cleaned, "requested_by": user},
    )
    if not created:
        stale = job.status == ExportJob.Status.DONE and job.finished_at is not None and (
            job.finished_at < timezone.now() - dt.timedelta(seconds=link_seconds()))
        if job.status != ExportJob.Status.FAILED and not stale:
            return job, False
        # a failed job, or a finished one whose link expired, is built again on the same row
        job.status, job.progress, job.rows, job.error, job.file = ExportJob.Status.QUEUED, 0, 0, "", ""
        job.requested_by = user
        job.save(update_fields=["status", "progress", "rows", "error", "file", "requested_by", "updated_at"])
    job_id = job.pk

    def enqueue() -> None:
        from payouts.tasks import export_job_run

        export_job_run.delay(job_id)

    transaction.on_commit(enqueue)
    return job, True


# ---------------------------------------------------------------------------------------------
# rows (generators over `.iterator()`: constant memory whatever the size)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rows:
    """One export's rows. Money cells hold integer minor units (or None); each writer renders them:
    CSV as major-unit text ("12.50", "1250" for JPY), XLSX as numbers with the currency's decimals."""

    header: list[str]
    count: Callable[[], int]
    rows: Callable[[], Iterator[list[Any]]]
    money: frozenset[str] = frozenset()  # columns in minor units, in the row's `currency`
    group: str | None = None  # XLSX totals are per (group, currency); None: per currency


def _m(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(to_major(int(amount), currency))


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def _payout_report(params: dict[str, Any]) -> Rows:
    start, end = period_bounds(*period_clean(params["date_from"], params["date_to"]))
    transfers = Transfer.objects.filter(created_at__gte=start, created_at__lt=end)
    payouts = Payout.objects.filter(created_at__gte=start, created_at__lt=end)
    if params.get("vendor_id"):
        transfers = transfers.filter(vendor_id=params["vendor_id"])
        payouts = payouts.filter(vendor_id=params["vendor_id"])
    header = ["type", "date", "vendor_id", "vendor", "reference", "order", "amount", "reversed", "net",
              "currency", "status", "stripe_id", "release_at"]

    def rows() -> Iterator[list[Any]]:
        for t in transfers.order_by("created_at", "id").values_list(
            "created_at", "vendor_id", "vendor__name", "idempotency_key", "order_id", "amount",
            "amount_reversed", "currency", "status", "stripe_transfer_id", "release_at",
        ).iterator(chunk_size=CHUNK):
            created, vendor_id, name, key, order_id, amount, reversed_, cur, status, stripe_id, release = t
            yield ["transfer", _iso(created), vendor_id, name, key, order_id, amount, reversed_,
                   amount - reversed_, cur, status, stripe_id, _iso(release)]
        for p in payouts.order_by("created_at", "id").values_list(
            "created_at", "vendor_id", "vendor__name", "stripe_payout_id", "amount", "currency", "status",
            "arrival_date",
        ).iterator(chunk_size=CHUNK):
            created, vendor_id, name, payout_id, amount, cur, status, arrival = p
            yield ["payout", _iso(created), vendor_id, name, payout_id, "", amount, None, amount,
                   cur, status, payout_id, _iso(arrival)]

    return Rows(header, lambda: transfers.count() + payouts.count(), rows,
                money=frozenset({"amount", "reversed", "net"}), group="type")


def _paid_lines(params: dict[str, Any]) -> Any:
    from orders.models import OrderLine

    start, end = period_bounds(*period_clean(params["date_from"], params["date_to"]))
    lines = OrderLine.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end)
    if params.get("vendor_id"):
        lines = lines.filter(vendor_id=params["vendor_id"])
    return lines


def _commission_report(params: dict[str, Any]) -> Rows:
    lines = _paid_lines(params)
    header = ["date", "order", "vendor_id", "vendor", "sku", "quantity", "line_amount", "commission",
              "currency", "rule_id", "rule_scope", "category"]
    rules = dict(CommissionRule.objects.values_list("pk", "scope"))
    paths = dict(CommissionRule.objects.values_list("pk", "category_path"))

    def rows() -> Iterator[list[Any]]:
        for r in lines.order_by("order__paid_at", "id").values_list(
            "order__paid_at", "order_id", "vendor_id", "vendor__name", "sku", "quantity", "line_amount",
            "commission_amount", "order__currency", "commission_rule_id",
        ).iterator(chunk_size=CHUNK):
            paid, order_id, vendor_id, name, sku, qty, amount, commission, cur, rule_id = r
            yield [_iso(paid), order_id, vendor_id, name, sku, qty, amount, commission, cur,
                   rule_id or "", rules.get(rule_id, ""), paths.get(rule_id, "")]

    return Rows(header, lines.count, rows, money=frozenset({"line_amount", "commission"}))


def _vendor_statement(params: dict[str, Any]) -> Rows:
    from orders.models import SubOrder

    start, end = period_bounds(*period_clean(params["date_from"], params["date_to"]))
    vendor_id = params["vendor_id"]
    subs = SubOrder.objects.filter(vendor_id=vendor_id, order__paid_at__gte=start, order__paid_at__lt=end)
    payouts = Payout.objects.filter(vendor_id=vendor_id, created_at__gte=start, created_at__lt=end)
    header = ["section", "date", "reference", "gross", "commission", "deductions", "net", "currency", "status"]

    def rows() -> Iterator[list[Any]]:
        for r in subs.order_by("order__paid_at", "id").values_list(
            "order__paid_at", "order_id", "total_amount", "commission_amount", "net_amount", "order__currency",
            "transfer__amount_reversed", "transfer__status",
        ).iterator(chunk_size=CHUNK):
            paid, order_id, gross, commission, net, cur, reversed_, status = r
            reversed_ = reversed_ or 0
            yield ["sale", _iso(paid), order_id, gross, commission, reversed_, net - reversed_, cur,
                   status or "pending"]
        for p in payouts.order_by("created_at", "id").values_list(
                "created_at", "stripe_payout_id", "amount", "currency", "status").iterator(chunk_size=CHUNK):
            created, payout_id, amount, cur, status = p
            yield ["payout", _iso(created), payout_id, None, None, None, amount, cur, status]

    return Rows(header, lambda: subs.count() + payouts.count(), rows,
                money=frozenset({"gross", "commission", "deductions", "net"}), group="section")


def _tax_summary(params: dict[str, Any]) -> Rows:
    """DAC7-style: per vendor and year, identity, country, sales count, gross, commissions per quarter."""
    from orders.models import SubOrder

    year = int(params["year"])
    subs = SubOrder.objects.filter(order__paid_at__year=year)
    aggregates: dict[str, Any] = {"sales": Count("id"), "gross": Coalesce(Sum("total_amount"), 0),
                                  "commission": Coalesce(Sum("commission_amount"), 0),
                                  "refunded": Coalesce(Sum("refunded_amount"), 0)}
    for quarter in range(1, 5):
        in_q = Q(order__paid_at__quarter=quarter)
        aggregates[f"q{quarter}_sales"] = Count("id", filter=in_q)
        aggregates[f"q{quarter}_gross"] = Coalesce(Sum("total_amount", filter=in_q), 0)
        aggregates[f"q{quarter}_commission"] = Coalesce(Sum("commission_amount", filter=in_q), 0)
    grouped = (subs.values("vendor_id", "vendor__name", "vendor__slug", "vendor__country",
                           "vendor__stripe_account_id", "vendor__support_email", "order__currency")
               .annotate(**aggregates).order_by("vendor_id", "order__currency"))
    header = ["year", "vendor_id", "vendor", "slug", "country", "stripe_account", "email", "currency",
              "number_of_sales", "gross", "commissions", "refunded"]
    for quarter in range(1, 5):
        header += [f"q{quarter}_sales", f"q{quarter}_gross", f"q{quarter}_commissions"]

    def rows() -> Iterator[list[Any]]:
        for group in grouped.iterator(chunk_size=CHUNK):
            r: dict[str, Any] = dict(group)
            cur = r["order__currency"]
            row = [year, r["vendor_id"], r["vendor__name"], r["vendor__slug"], r["vendor__country"],
                   r["vendor__stripe_account_id"], r["vendor__support_email"], cur, r["sales"],
                   r["gross"], r["commission"], r["refunded"]]
            for quarter in range(1, 5):
                row += [r[f"q{quarter}_sales"], r[f"q{quarter}_gross"], r[f"q{quarter}_commission"]]
            yield row

    money = {"gross", "commissions", "refunded"} | {f"q{q}_{name}" for q in range(1, 5) for name in ("gross", "commissions")}
    return Rows(header, lambda: grouped.count(), rows, money=frozenset(money))


BUILDERS: dict[str, Callable[[dict[str, Any]], Rows]] = {
    ExportJob.Kind.PAYOUT_REPORT: _payout_report,
    ExportJob.Kind.COMMISSION_REPORT: _commission_report,
    ExportJob.Kind.VENDOR_STATEMENT: _vendor_statement,
    ExportJob.Kind.TAX_SUMMARY: _tax_summary,
}


# ---------------------------------------------------------------------------------------------
# writing and storing
# ---------------------------------------------------------------------------------------------
def _exports_bucket() -> str:
    from common.storage import exports_bucket

    return exports_bucket()


def export_storage() -> Storage:
    """Private storage for exports: a private S3 bucket when one is configured, else local files."""
    bucket = _exports_bucket()
    if bucket:
        from common.storage import private_s3_storage

        return private_s3_storage(bucket, querystring_expire=link_seconds(), location="finance-exports")
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT / "finance-exports")


def _money_columns(rows: Rows) -> tuple[list[int], int]:
    """Indexes of the money columns and of the currency column naming their currency."""
    return [i for i, name in enumerate(rows.header) if name in rows.money], rows.header.index("currency")


def _write_csv(out: IO[bytes], rows: Rows, tick: Callable[[], None]) -> None:
    """Machine-readable: money as major-unit text with the currency's decimals ("12.50", JPY "1250")."""
    import io

    money, currency = _money_columns(rows)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(rows.header)
    for row in rows.rows():
        row = [csv_text(value) for value in row]  # money cells are still integers here
        for index in money:
            row[index] = _m(row[index], row[currency])
        writer.writerow(row)
        tick()
    text.flush()
    text.detach()


def number_format_for(currency: str) -> str:
    """Excel number format showing the currency's decimals: EUR '#,##0.00', JPY '#,##0'."""
    places = exponent(currency)
    return "#,##0." + "0" * places if places else "#,##0"


_XLSX_WIDTHS = {"date": 32, "release_at": 32, "vendor": 24, "reference": 30, "stripe_id": 30, "email": 28,
                "stripe_account": 24, "slug": 16, "category": 24, "sku": 16, "status": 14, "type": 16,
                "section": 14, "currency": 10}


def _xlsx_width(name: str, money: frozenset[str]) -> float:
    return 16 if name in money else _XLSX_WIDTHS.get(name, max(10, len(name) + 3))


def _write_xlsx(out: IO[bytes], rows: Rows, tick: Callable[[], None]) -> None:
    """For people: amounts are numeric cells in major units (Decimal from the minor units, never a
    float computation) formatted with the currency's decimals, the currency column beside them; a
    frozen bold header; at the bottom, one bold totals row per (group, currency) labelled
    "total <group>" (no blank row before them: readers that index columns keep working).

    The workbook is write-only: each row goes straight to a temporary file, so memory stays flat
    whatever the size (the totals are a few integers per group and currency)."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("export")
    sheet.freeze_panes = "A2"  # header row stays visible
    for number, name in enumerate(rows.header, start=1):  # column styles go before any row
        sheet.column_dimensions[get_column_letter(number)].width = _xlsx_width(name, rows.money)
    bold = Font(bold=True)
    styles: dict[tuple[str | None, bool], Any] = {}

    def cell(value: Any, *, fmt: str | None = None, strong: bool = False) -> Any:
        """A styled cell; each style is built once and copied (cheap) into the next cells."""
        style = styles.get((fmt, strong))
        if style is None:
            template = WriteOnlyCell(sheet)
            if fmt is not None:
                template.number_format = fmt
            if strong:
                template.font = bold
            style = styles[(fmt, strong)] = template._style
        return Cell(sheet, row=1, column=1, value=value, style_array=style)

    def text(value: str) -> Any:
        """A string cell for text openpyxl would store as a formula (it does so for any str
        starting with "="): the value is kept as typed, shown as text, never run."""
        written = cell(value)
        written.data_type = "s"
        return written

    money, currency = _money_columns(rows)
    group = rows.header.index(rows.group) if rows.group else None
    label = group if group is not None else 0
    totals: dict[tuple[Any, str], list[int | None]] = {}
    sheet.append([cell(name, strong=True) for name in rows.header])
    for row in rows.rows():
        cur = row[currency]
        fmt = number_format_for(cur)
        sums = totals.setdefault((row[group] if group is not None else "", cur), [None] * len(money))
        row = [text(value) if formula_like(value) else value for value in row]
        for position, index in enumerate(money):
            amount = row[index]
            if amount is None:
                continue
            sums[position] = (sums[position] or 0) + int(amount)
            row[index] = cell(to_major(int(amount), cur), fmt=fmt)
        sheet.append(row)
        tick()
    if totals:
        groups = list(dict.fromkeys(key for key, _cur in totals))  # first-seen order, then currency
        for key, cur in sorted(totals, key=lambda k: (groups.index(k[0]), k[1])):
            line: list[Any] = [None] * len(rows.header)
            line[label] = cell(f"total {key}".strip(), strong=True)
            line[currency] = cell(cur, strong=True)
            fmt = number_format_for(cur)
            for position, index in enumerate(money):
                amount = totals[(key, cur)][position]
                if amount is not None:
                    line[index] = cell(to_major(amount, cur), fmt=fmt, strong=True)
            sheet.append(line)
    workbook.save(out)


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the job's file (idempotent: a done job is left alone); failures are recorded.

    The run holds the job's advisory lock: a second delivery of the task while it runs finds the
    lock taken and stops, while a job left `running` by a killed worker (its lock died with its
    connection) is built again from the start, replacing any file the dead run stored.
    """
    with advisory_lock_try(EXPORT_JOB, job_id) as mine:
        if not mine:
            return ExportJob.objects.get(pk=job_id)
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=job_id)
            if job.status == ExportJob.Status.DONE:
                return job
            job.status = ExportJob.Status.RUNNING
            job.save(update_fields=["status", "updated_at"])
        return _export_build(job)


def _export_build(job: ExportJob) -> ExportJob:
    try:
        rows = BUILDERS[job.kind](job.params)
        total = max(rows.count(), 0)
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
        written = 0

        def tick() -> None:
            nonlocal written
            written += 1
            if written % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(
                    rows=written, progress=min(99, written * 100 // max(total, 1)))

        writer = _write_xlsx if job.format == ExportJob.Format.XLSX else _write_csv
        with tempfile.TemporaryFile() as out:
            writer(out, rows, tick)
            out.seek(0)
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
            storage = export_storage()
            _job_files_remove(storage, job)
            name = storage.save(f"{job.kind}-{job.pk}-{stamp}.{job.format}", File(out))
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error=str(exc)[:2000])
        job.refresh_from_db()
        return job
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, rows=written, progress=100, file=name, finished_at=timezone.now())
    job.refresh_from_db()
    _notify(job)
    return job


def _job_files_remove(storage: Storage, job: ExportJob) -> None:
    """One file per job: drop what an earlier run of this job stored (a run killed after storing
    its file, or the stale file of a job built again)."""
    try:
        _folders, files = storage.listdir("")
    except FileNotFoundError:  # local files: no export stored yet
        return
    for name in files:
        if name.startswith(f"{job.kind}-{job.pk}-"):
            storage.delete(name)


def export_jobs_requeue_stalled(*, queued_before: dt.timedelta = STALLED_AFTER) -> list[int]:
    """The beat's safety net: queue again the jobs whose task was lost (queued long ago, or
    running with nobody holding their lock: the worker died)."""
    from payouts.tasks import export_job_run as task

    cutoff = timezone.now() - queued_before
    stalled = [
        pk for pk, status in ExportJob.objects.filter(
            Q(status=ExportJob.Status.QUEUED, updated_at__lt=cutoff) | Q(status=ExportJob.Status.RUNNING)
        ).values_list("pk", "status")
        if status == ExportJob.Status.QUEUED or advisory_lock_free(EXPORT_JOB, pk)
    ]
    for pk in stalled:
        task.delay(pk)
    return stalled


def _notify(job: ExportJob) -> None:
    user = job.requested_by
    if user is None or not user.email:
        return
    url = export_download_url(job=job, absolute=True)
    send_mail_localized([user.email], lambda: (
        _("Your export %(kind)s is ready") % {"kind": job.get_kind_display()},
        _("Download it within %(hours)d hours: %(url)s") % {"hours": link_seconds() // 3600, "url": url},
    ))


# ---------------------------------------------------------------------------------------------
# delivery
# ---------------------------------------------------------------------------------------------
def _on_s3() -> bool:
    return bool(_exports_bucket())


def export_download_url(*, job: ExportJob, absolute: bool = False) -> str:
    if job.status != ExportJob.Status.DONE or not job.file:
        raise ExportNotReady(_("The export is not ready yet."))
    if _on_s3():
        return export_storage().url(job.file)  # presigned, expires with the link
    token = signing.TimestampSigner(salt=SIGNER_SALT).sign(str(job.pk))
    path = f"/ops/finance/exports/download/{token}/"
    if not absolute:
        return path
    from orders.services import platform_url

    return platform_url(path)


def export_for_token(token: str) -> ExportJob | None:
    """The job a signed link names, or None when forged or expired."""
    try:
        job_id = signing.TimestampSigner(salt=SIGNER_SALT).unsign(token, max_age=link_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return ExportJob.objects.filter(pk=int(job_id), status=ExportJob.Status.DONE).exclude(file="").first()


def export_open(job: ExportJob) -> IO[bytes]:
    return export_storage().open(job.file, "rb")


