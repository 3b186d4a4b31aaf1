"""Storage: vendor files live under their schema's prefix, locally or on S3.

Two kinds, never mixed:
- public media (product images, storefront logos and banners): the default storage, the media
  bucket, served through the CDN when `AWS_S3_CUSTOM_DOMAIN` names it (stable, unsigned URLs the
  listing projection can keep);
- a vendor's private files (CSV imports): `tenant_private_storage`, the private bucket (signed
  URLs only) or `PRIVATE_MEDIA_ROOT/<schema>/` locally, never under a public URL.
"""

from __future__ import annotations

import os
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage

from common.connection import current_schema_name


class TenantS3Storage(S3Storage):
    """S3 storage whose key prefix is the current schema, like TenantFileSystemStorage.

    As the default storage it holds public media: with a CDN domain (`MEDIA_CDN_DOMAIN`, from
    `AWS_S3_CUSTOM_DOMAIN`) its URLs are the CDN's, unsigned; without one they are signed S3 URLs.
    The CDN domain is passed here only, never as django-storages' global AWS_S3_CUSTOM_DOMAIN
    setting, which every other S3 storage (private documents, exports) would pick up too.
    """

    @property  # type: ignore[override]
    def location(self) -> str:
        return current_schema_name()

    @location.setter
    def location(self, value: str) -> None:  # S3Storage assigns it in __init__
        pass

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("bucket_name", settings.AWS_STORAGE_BUCKET_NAME)
        kwargs.setdefault("endpoint_url", settings.AWS_S3_ENDPOINT_URL)
        kwargs.setdefault("region_name", settings.AWS_S3_REGION_NAME)
        if settings.MEDIA_CDN_DOMAIN and kwargs["bucket_name"] == settings.AWS_STORAGE_BUCKET_NAME:
            kwargs.setdefault("custom_domain", settings.MEDIA_CDN_DOMAIN)
            kwargs.setdefault("querystring_auth", False)
        super().__init__(**kwargs)


def private_s3_storage(bucket_name: str, *, storage_class: type[S3Storage] = S3Storage, **options: Any) -> S3Storage:
    """A private bucket: no public ACL, signed URLs only, never the CDN, never overwriting a file.
    Onboarding documents, claim evidence, vendors' CSV uploads and finance exports all use it."""
    return storage_class(
        bucket_name=bucket_name, endpoint_url=settings.AWS_S3_ENDPOINT_URL, region_name=settings.AWS_S3_REGION_NAME,
        default_acl="private", querystring_auth=True, custom_domain=None, file_overwrite=False, **options,
    )


def exports_bucket() -> str:
    """The bucket finance exports go to: their own (a lifecycle rule expires them), else the
    private one; "" when no S3 is configured (local private files). Never the media bucket, which
    the CDN serves publicly: with S3 media but no private bucket, exports fail clearly."""
    bucket = settings.AWS_EXPORTS_BUCKET_NAME or settings.AWS_PRIVATE_BUCKET_NAME
    if not bucket and settings.AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("Finance exports need AWS_EXPORTS_BUCKET_NAME or AWS_PRIVATE_BUCKET_NAME: "
                                   "they never go to the public media bucket")
    return bucket


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under `settings.PRIVATE_MEDIA_ROOT` (read at use, so tests can point it elsewhere),
    with no URL at all: they are served only by views that check who asks."""

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


class TenantPrivateFileSystemStorage(PrivateFileSystemStorage):
    """`PRIVATE_MEDIA_ROOT/<schema>/`: a vendor's private files on disk."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return os.path.join(str(settings.PRIVATE_MEDIA_ROOT), current_schema_name())


def _tenant_private_backend() -> Storage:
    if settings.AWS_PRIVATE_BUCKET_NAME:
        return private_s3_storage(settings.AWS_PRIVATE_BUCKET_NAME, storage_class=TenantS3Storage)
    return TenantPrivateFileSystemStorage()


class _TenantPrivateStorage(LazyObject):
    """Chosen at first use (and again when a test changes the settings), like default_storage."""

    def _setup(self) -> None:
        self._wrapped = _tenant_private_backend()


_tenant_private = _TenantPrivateStorage()
_PRIVATE_SETTINGS = {"AWS_PRIVATE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_S3_REGION_NAME", "PRIVATE_MEDIA_ROOT"}


@receiver(setting_changed)
def _private_settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _PRIVATE_SETTINGS:
        _tenant_private._wrapped = empty  # type: ignore[assignment]  # LazyObject's "not set up yet" marker


def tenant_private_storage() -> Storage:
    """A vendor's private files: the private bucket under the schema's prefix (signed access only)
    when configured, else `PRIVATE_MEDIA_ROOT/<schema>/`. A callable, so migrations name it."""
    return cast(Storage, _tenant_private)
