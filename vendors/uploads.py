"""Checking uploaded files by their content (never by name or the client's content type)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from vendors.errors import InvalidUpload

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})
DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
LOGO_MAX_BYTES = 2 * 1024 * 1024
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    content_type: str
    extension: str
    size: int
    original_name: str

    def stored_name(self) -> str:
        """A random name: the client's file name never reaches the file system."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def upload_check(
    *, upload: UploadedFile, allowed: frozenset[str], max_bytes: int, field: str
) -> CheckedUpload:
    size = upload.size or 0
    if size == 0:
        raise InvalidUpload(_("The file is empty."), fields={field: ["empty"]})
    if size > max_bytes:
        raise InvalidUpload(
            _("The file is too large (at most %(mb)s MB).") % {"mb": max_bytes // (1024 * 1024)},
            code="upload_too_large",
            fields={field: ["too_large"]},
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in allowed:
        raise InvalidUpload(
            _("This file type is not accepted (allowed: %(types)s).")
            % {"types": ", ".join(sorted(t.split("/")[1].upper() for t in allowed))},
            code="upload_type_not_allowed",
            fields={field: ["type_not_allowed"]},
        )
    return CheckedUpload(
        file=upload, content_type=kind.mime, extension=kind.extension, size=size,
        original_name=(upload.name or "file")[-255:],
    )
