"""Files attached to a claim: checked by their bytes and size, saved privately."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from disputes.errors import InvalidAttachment
from disputes.models import (
    Claim,
    ClaimAttachment,
    ClaimMessage,
)

ATTACHMENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})


ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


ATTACHMENTS_MAX = 5


def attachments_check(files: Sequence[UploadedFile], field: str = "attachments", *,
                      allowed: frozenset[str] = ATTACHMENT_TYPES,
                      max_bytes: int = ATTACHMENT_MAX_BYTES) -> list[Any]:
    from vendors.errors import InvalidUpload
    from vendors.uploads import upload_check

    if len(files) > ATTACHMENTS_MAX:
        raise InvalidAttachment(_("Attach at most %(n)s files.") % {"n": ATTACHMENTS_MAX},
                                fields={field: [_("Too many files.")]})
    checked = []
    for upload in files:
        try:
            checked.append(upload_check(upload=upload, allowed=allowed, max_bytes=max_bytes, field=field))
        except InvalidUpload as exc:
            raise InvalidAttachment(exc.message, fields=exc.fields) from exc
    return checked


def _attachments_save(claim: Claim, checked: list[Any], *, user: Any, role: str,
                      message: ClaimMessage | None = None) -> None:
    for item in checked:
        attachment = ClaimAttachment(claim=claim, message=message, uploaded_by=user, role=role,
                                     content_type=item.content_type, size=item.size,
                                     original_name=item.original_name)
        attachment.file.save(item.stored_name(), item.file, save=False)
        attachment.save()
