"""Private file storage for onboarding documents and dispute evidence: never under MEDIA_URL,
served only by views."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage

from common.storage import PrivateFileSystemStorage, private_s3_storage

__all__ = ["PrivateFileSystemStorage", "private_storage"]


def private_storage() -> Storage:
    """The private S3 bucket when configured (no public ACL, signed access only), else local."""
    if settings.AWS_PRIVATE_BUCKET_NAME:
        return private_s3_storage(settings.AWS_PRIVATE_BUCKET_NAME)
    return PrivateFileSystemStorage()
