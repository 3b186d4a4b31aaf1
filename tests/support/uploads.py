"""Uploaded files for document and image tests (the declared content types are deliberately wrong)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_upload(name: str = "registration.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    # The declared content type is deliberately wrong: only the bytes are trusted.
    return SimpleUploadedFile(name, content, content_type="text/plain")


def png_upload(name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="application/octet-stream")
