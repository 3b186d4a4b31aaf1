"""Starting a CSV import of products (the import itself runs in catalog.csv_io)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from catalog.models import CsvImport
from common.exceptions import ApplicationError


def csv_import_start(*, upload: UploadedFile, user: Any = None) -> CsvImport:
    from catalog.csv_io import MAX_CSV_BYTES

    if upload.size is None or upload.size > MAX_CSV_BYTES:
        raise ApplicationError(_("CSV files are at most 20 MB."), code="invalid_csv", fields={"file": ["too_big"]})
    with transaction.atomic():
        job = CsvImport(original_name=(upload.name or "")[:255], user_id=getattr(user, "pk", None),
                        language=translation.get_language() or "")
        job.file.save("import.csv", upload, save=False)
        job.save()
        schema, job_id = getattr(connection, "schema_name", "public"), job.pk

        def enqueue() -> None:
            from django_tenants.utils import schema_context

            from catalog.tasks import csv_import_task

            with schema_context(schema):
                csv_import_task.delay(job_id)

        transaction.on_commit(enqueue)
    return job
