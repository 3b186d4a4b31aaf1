"""Public media and a vendor's private files are stored apart.

Product images and storefront pictures are public media (the default storage; behind the CDN in
production, with stable unsigned URLs). A vendor's CSV uploads are private: under the schema's
prefix in the private bucket (signed URLs only) or in `PRIVATE_MEDIA_ROOT/<schema>/`, never where
the CDN or `/media/` serves files, and not readable from another vendor's schema.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from catalog.csv_io import COLUMNS, csv_import_run
from catalog.services import csv_import_start
from common.storage import tenant_private_storage
from tests.support.s3 import create_bucket

pytestmark = pytest.mark.django_db

# The CDN host the settings would name (AWS_S3_CUSTOM_DOMAIN); only URLs are built for it here.
CDN = "cdn.marketplace.localhost"


def _signed(url: str) -> bool:
    """A presigned S3 URL (query-string auth, signature version 2 or 4)."""
    query = url.partition("?")[2]
    return "X-Amz-Signature=" in query or ("Signature=" in query and "Expires=" in query)


def _csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    values = {"handle": "tee", "name": "Tee", "status": "active", "category": "", "description": "",
              "attributes": "", "sku": "TEE-1", "options": "size=M", "price": "12.50",
              "compare_at_price": "", "currency": "EUR", "stock": "3", "weight_grams": "200"}
    writer.writerow([values[c] for c in COLUMNS])
    return out.getvalue().encode()


def test_csv_uploads_are_private_files_under_the_vendors_own_prefix(vendor_a, vendor_b, in_schema, settings,
                                                                    tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with in_schema(vendor_a):
        job = csv_import_start(upload=SimpleUploadedFile("stock.csv", _csv()))
        stored = Path(job.file.path)
        with pytest.raises(ValueError, match="no public URL"):
            job.file.url  # noqa: B018 - the property is what is checked
        public_path = Path(default_storage.path(job.file.name))
        assert csv_import_run(import_id=job.pk).imported_rows == 1  # the import reads it from there
    assert stored.is_relative_to(tmp_path / "private" / vendor_a.store.schema_name)
    assert stored.read_bytes() == _csv()
    # Not where the public media storage (and its /media/ route, or the CDN) would find it.
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT)) and public_path != stored
    # The same name in another vendor's schema is another file (which does not exist).
    with in_schema(vendor_b):
        assert not tenant_private_storage().exists(job.file.name)


def test_an_import_whose_file_is_gone_fails_with_a_message(vendor_a, in_schema, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with in_schema(vendor_a):
        job = csv_import_start(upload=SimpleUploadedFile("stock.csv", _csv()))
        Path(job.file.path).unlink()
        job = csv_import_run(import_id=job.pk)
    assert job.status == "failed" and "no longer available" in job.failure
    assert job.imported_rows == 0


def test_on_s3_media_is_served_by_the_cdn_and_csv_uploads_stay_signed_in_the_private_bucket(
    vendor_a, in_schema, moto_s3,
):
    from vendors.storage import private_storage

    endpoint, s3 = moto_s3
    for bucket in ("mk-media", "mk-private"):
        create_bucket(s3, bucket)
    with override_settings(
        AWS_STORAGE_BUCKET_NAME="mk-media", AWS_PRIVATE_BUCKET_NAME="mk-private", AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME="eu-west-1", MEDIA_CDN_DOMAIN=CDN,
        STORAGES={"default": {"BACKEND": "common.storage.TenantS3Storage"},
                  "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
    ):
        schema = vendor_a.store.schema_name
        with in_schema(vendor_a):
            image = default_storage.save("products/lamp.jpg", ContentFile(b"\xff\xd8jpeg"))
            # Public media: the CDN's stable address, unsigned (the listing projection keeps it).
            assert default_storage.url(image) == f"https://{CDN}/{schema}/{image}"
            job = csv_import_start(upload=SimpleUploadedFile("stock.csv", _csv()))
            private_url = job.file.url
            assert csv_import_run(import_id=job.pk).imported_rows == 1
        media_keys = [o["Key"] for o in s3.list_objects_v2(Bucket="mk-media")["Contents"]]
        private_keys = [o["Key"] for o in s3.list_objects_v2(Bucket="mk-private")["Contents"]]
        assert media_keys == [f"{schema}/{image}"]
        assert private_keys == [f"{schema}/{job.file.name}"]
        # The vendor's file: a signed URL on the bucket itself, never the CDN.
        assert private_url.startswith(f"{endpoint}/mk-private/{schema}/imports/")
        assert _signed(private_url) and CDN not in private_url
        # Other private files (onboarding documents) do not pick the CDN up either.
        document_url = private_storage().url("applications/documents/registration.pdf")
        assert _signed(document_url) and CDN not in document_url
