"""Storage: vendor files live under their schema's prefix, locally or on S3."""

from __future__ import annotations

from django.conf import settings
from storages.backends.s3 import S3Storage

from tenants.db import current_schema_name


class TenantS3Storage(S3Storage):
    """S3 storage whose key prefix is the current schema, like TenantFileSystemStorage."""

    @property  # type: ignore[override]
    def location(self) -> str:
        return current_schema_name()

    @location.setter
    def location(self, value: str) -> None:  # S3Storage assigns it in __init__
        pass

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("bucket_name", settings.AWS_STORAGE_BUCKET_NAME)
        kwargs.setdefault("endpoint_url", settings.AWS_S3_ENDPOINT_URL)
        kwargs.setdefault("region_name", settings.AWS_S3_REGION_NAME)
        super().__init__(**kwargs)
