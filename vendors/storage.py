"""Private file storage for onboarding documents: never under MEDIA_URL, served only by views."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under `settings.PRIVATE_MEDIA_ROOT` (read at use, so tests can point it elsewhere)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(base_url=None, **kwargs)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a view.")


def private_storage() -> Storage:
    """The private S3 bucket when configured (no public ACL, signed access only), else local."""
    if settings.AWS_PRIVATE_BUCKET_NAME:
        from storages.backends.s3 import S3Storage

        return S3Storage(
            bucket_name=settings.AWS_PRIVATE_BUCKET_NAME,
            endpoint_url=settings.AWS_S3_ENDPOINT_URL,
            region_name=settings.AWS_S3_REGION_NAME,
            default_acl="private",
            querystring_auth=True,
            file_overwrite=False,
        )
    return PrivateFileSystemStorage()
