"""CSV import (Celery task, real worker) and export: row errors, idempotency by SKU, bad files."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.csv_io import COLUMNS, csv_export_rows, csv_import_run
from catalog.models import CsvImport, OutboxEvent, Product, StockAdjustment, Variant
from catalog.services import csv_import_start
from marketplace.models import Category, Listing
from tests.support.waiting import wait_until


def _csv(rows: list[list[str]], header: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _row(n: int, **overrides: str) -> list[str]:
    values = {"handle": f"tee-{n // 2}", "name": f"Tee {n // 2}", "status": "active", "category": "",
              "description": "", "attributes": "", "sku": f"TEE-{n:05d}",
              "options": f"size={'S' if n % 2 else 'M'}", "price": f"{10 + n % 50}.50",
              "compare_at_price": "", "currency": "EUR", "stock": str(n % 7), "weight_grams": "200"}
    values.update(overrides)
    return [values[c] for c in COLUMNS]


def _run(vendor, in_schema, data: bytes):
    with in_schema(vendor):
        job = CsvImport.objects.create(original_name="t.csv")
        job.file.save("t.csv", SimpleUploadedFile("t.csv", data))
        return csv_import_run(import_id=job.pk)


@pytest.mark.django_db
def test_row_errors_are_reported_with_line_and_column_and_valid_rows_imported(vendor_a, in_schema):
    Category.objects.create(name="Tops", slug="tops", path="tops")
    rows = [_row(0, category="tops"), _row(1), _row(2, price="-3"), _row(3, price="1.234"),
            _row(4, sku=""), _row(5, currency="USD"), _row(6, stock="many"), _row(7, sku="TEE-00000"),
            _row(8, category="nope"), _row(9, status="live")]
    job = _run(vendor_a, in_schema, _csv(rows))
    assert job.status == "done"
    assert (job.total_rows, job.imported_rows, job.error_rows) == (10, 2, 8)
    assert [(e["line"], e["column"]) for e in job.errors] == [
        (4, "price"), (5, "price"), (6, "sku"), (7, "currency"), (8, "stock"), (9, "sku"), (10, "category"),
        (11, "status")]
    assert "TEE-00000" in job.errors[5]["message"] and "line 2" in job.errors[5]["message"]
    with in_schema(vendor_a):
        product = Product.objects.get(handle="tee-0")
        assert product.category_id == Category.objects.get(path="tops").pk
        assert product.option_types == ["size"]
        assert sorted(product.variants.values_list("sku", flat=True)) == ["TEE-00000", "TEE-00001"]
        assert not Variant.objects.filter(sku__in=["TEE-00002", "TEE-00003"]).exists()


@pytest.mark.django_db
def test_the_report_is_in_the_language_the_file_was_uploaded_in(vendor_a, in_schema):
    from django.utils import translation

    rows = [_row(0), _row(1, stock="many"), _row(2, sku="TEE-00000"), _row(3, currency="USD")]
    with in_schema(vendor_a), translation.override("de"):
        job = csv_import_start(upload=SimpleUploadedFile("t.csv", _csv(rows)))
    assert job.language == "de"
    # The worker runs in no particular language; the job carries the uploader's.
    with in_schema(vendor_a), translation.override("en"):
        job = csv_import_run(import_id=job.pk)
    messages = [e["message"] for e in job.errors]
    assert messages == ["muss eine ganze Zahl sein", "TEE-00000 steht bereits in Zeile 2",
                        "muss EUR sein, die Währung des Shops"]
    with in_schema(vendor_a), translation.override("fr"):
        bad = csv_import_start(upload=SimpleUploadedFile("t.csv", _csv([_row(0)], header=("name", "sku"))))
    with in_schema(vendor_a):
        bad = csv_import_run(import_id=bad.pk)
    assert bad.status == "failed" and bad.failure.startswith("Colonnes manquantes : handle, price.")


@pytest.mark.django_db
def test_reimport_is_idempotent_and_changes_update_by_sku(vendor_a, in_schema):
    data = _csv([_row(n) for n in range(6)])
    _run(vendor_a, in_schema, data)
    with in_schema(vendor_a):
        counts = (Product.objects.count(), Variant.objects.count(), OutboxEvent.objects.count(),
                  StockAdjustment.objects.count())
    again = _run(vendor_a, in_schema, data)
    assert (again.imported_rows, again.error_rows) == (6, 0)
    with in_schema(vendor_a):
        assert (Product.objects.count(), Variant.objects.count(), OutboxEvent.objects.count(),
                StockAdjustment.objects.count()) == counts
    changed = _run(vendor_a, in_schema, _csv([_row(0, price="99.00", stock="9")] + [_row(n) for n in range(1, 6)]))
    assert changed.imported_rows == 6
    with in_schema(vendor_a):
        variant = Variant.objects.get(sku="TEE-00000")
        assert (variant.price_amount, variant.stock) == (9900, 9)
        last = StockAdjustment.objects.filter(variant=variant).order_by("-id").first()
        assert (last.reason, last.delta, last.stock_after) == ("import", 9, 9)
        assert OutboxEvent.objects.count() == counts[2] + 1


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), [
    ("handle,name,sku,price\nx,Caf\xe9,S1,1.00\n".encode("latin-1"), "not UTF-8"),
    (b"name,sku\nA,B\n", "Missing columns: handle, price"),
    (b"", "Missing columns"),
    (b"\x00\x01\x02binary", "NUL"),
])
def test_unreadable_files_fail_with_a_clear_message_and_write_nothing(vendor_a, in_schema, data, message):
    job = _run(vendor_a, in_schema, data)
    assert job.status == "failed"
    assert message in job.failure
    with in_schema(vendor_a):
        assert not Product.objects.exists()


@pytest.mark.django_db
def test_export_reimports_without_changes(vendor_a, in_schema):
    _run(vendor_a, in_schema, _csv([_row(n, description="<p>Soft <b>cotton</b></p>", attributes="fit=slim")
                                    for n in range(4)]))
    with in_schema(vendor_a):
        exported = "".join(csv_export_rows()).encode()
        events = OutboxEvent.objects.count()
    lines = exported.decode().splitlines()
    assert lines[0].split(",") == list(COLUMNS)
    assert len(lines) == 5
    job = _run(vendor_a, in_schema, exported)
    assert (job.imported_rows, job.error_rows) == (4, 0)
    with in_schema(vendor_a):
        assert OutboxEvent.objects.count() == events


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ten_thousand_rows_with_one_bad_line_through_the_real_worker(task_worker, vendor_a, in_schema):
    rows = [_row(n) for n in range(10_000)]
    rows[4321] = _row(4321, price="12,50")  # file line 4323
    upload = SimpleUploadedFile("big.csv", _csv(rows), content_type="text/csv")
    try:
        with in_schema(vendor_a):
            job = csv_import_start(upload=upload)
            seen_progress = set()

            def finished() -> bool:
                job.refresh_from_db()
                seen_progress.add(job.processed_rows)
                return job.is_finished

            wait_until(finished, timeout=240, message=lambda: f"import stuck at {job.processed_rows}", interval=0.1)
            assert job.status == "done", job.failure
            assert (job.total_rows, job.imported_rows, job.error_rows) == (10_000, 9_999, 1)
            assert job.errors == [{"line": 4323, "column": "price", "message": job.errors[0]["message"]}]
            assert Variant.objects.count() == 9_999
            assert Product.objects.count() == 5_000
            assert not Variant.objects.filter(sku="TEE-04321").exists()
            # The relay drains the outbox into the projection.
            wait_until(lambda: not OutboxEvent.objects.filter(published_at__isnull=True).exists(),
                       timeout=240, message="outbox not drained", interval=0.1)
        assert Listing.objects.filter(vendor_id=vendor_a.pk).count() == 5_000
        assert len(seen_progress) >= 1
    finally:
        with in_schema(vendor_a):
            Product.objects.all().delete()
            OutboxEvent.objects.all().delete()
            CsvImport.objects.all().delete()
