"""File uploads (`POST /v1/files`, multipart, on Stripe's upload host) and their retrieval."""

from __future__ import annotations

import base64
from typing import Any

from .. import builders
from ..errors import StripeError
from ..state import new_id
from .base import Context, ResourceBase, Route

MB = 1024 * 1024

# Stripe's file upload guide: per purpose, the accepted types (sniffed from the bytes, not the
# declared content type), the size limit and how long the file is kept (None: forever).
PURPOSES: dict[str, tuple[frozenset[str], int, int | None]] = {
    "account_requirement": (frozenset({"pdf", "jpg", "png"}), 16 * MB, None),
    "additional_verification": (frozenset({"pdf", "jpg", "png"}), 16 * MB, None),
    "business_icon": (frozenset({"jpg", "png", "gif"}), 512 * 1024, None),
    "business_logo": (frozenset({"jpg", "png", "gif"}), 512 * 1024, None),
    "customer_signature": (frozenset({"jpg", "png", "svg"}), 4 * MB, 7 * 86400),
    "dispute_evidence": (frozenset({"pdf", "jpg", "png"}), 5 * MB, 273 * 86400),
    "identity_document": (frozenset({"pdf", "jpg", "png"}), 16 * MB, None),
    "pci_document": (frozenset({"pdf"}), 16 * MB, None),
    "tax_document_user_upload": (frozenset({"pdf", "jpg", "png", "csv"}), 16 * MB, None),
}
_TYPE_NAMES = {"pdf": "PDF", "jpg": "JPEG", "png": "PNG", "gif": "GIF", "svg": "SVG", "csv": "CSV"}


def sniff_type(content: bytes) -> str | None:
    """The file's type from its first bytes (Stripe ignores the declared content type)."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    head = content[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "svg"
    return None


ROUTES: tuple[Route, ...] = (
    ("POST", r"/v1/files", "file_create"),
    ("GET", r"/v1/files", "file_list"),
    ("GET", r"/v1/files/(?P<oid>[^/]+)", "file_retrieve"),
)


class FilesResource(ResourceBase):
    """`/v1/files`: upload (multipart) with Stripe's per-purpose checks, list, retrieve."""

    def file_create(self, ctx: Context) -> dict[str, Any]:
        p = ctx.params
        p.check_known({"purpose", "file_link_data"})
        purpose = p.string("purpose")
        if not purpose:
            raise StripeError.missing("purpose")
        if purpose not in PURPOSES:
            raise StripeError.invalid(
                f"Invalid purpose: must be one of {', '.join(sorted(PURPOSES))}.", param="purpose"
            )
        upload = ctx.files.get("file")
        if upload is None:
            raise StripeError.missing("file")
        filename, _declared, content = upload
        allowed, max_bytes, keep_for = PURPOSES[purpose]
        if not content:
            raise StripeError.invalid("The file you uploaded is empty.", param="file")
        if len(content) > max_bytes:
            raise StripeError.invalid(
                f"The file is {len(content)} bytes; files with purpose {purpose} can be at most "
                f"{max_bytes} bytes.",
                param="file",
            )
        kind = sniff_type(content)
        if kind not in allowed:
            names = ", ".join(_TYPE_NAMES[t] for t in sorted(allowed))
            found = _TYPE_NAMES.get(kind or "", "an unrecognised type")
            raise StripeError.invalid(
                f"The file is {found}; files with purpose {purpose} must be one of: {names}.",
                param="file",
            )
        now = self.store.now()
        file_id = new_id("file_")
        obj = builders.file_object(
            file_id=file_id, created=now, expires_at=now + keep_for if keep_for else None,
            filename=filename or file_id, purpose=purpose, size=len(content), file_type=kind,
            url=f"{ctx.base_url}/v1/files/{file_id}/contents",
        )  # fmt: skip
        self.store.add(obj, owner=ctx.account, content=base64.b64encode(content).decode("ascii"))
        return self.render(obj)

    def file_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("file", owner=ctx.account)
        purpose = ctx.params.string("purpose")
        if purpose:
            items = [f for f in items if f["purpose"] == purpose]
        return self.list_response(ctx, "/v1/files", items)

    def file_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return self.render(self.owned(ctx, "file", oid, label="file upload"))

    def file_contents(self, account: str, oid: str) -> tuple[dict[str, Any], bytes]:
        """The stored bytes (`GET /v1/files/{id}/contents`, served by the app, not as JSON)."""
        obj = self.store.get_typed("file", oid)
        if obj is None or self.store.owner(oid) != account:
            raise StripeError.not_found("file upload", oid)
        return obj, base64.b64decode(self.store.meta(oid).get("content") or "")
