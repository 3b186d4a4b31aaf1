"""Uploaded pictures checked by their bytes with Pillow: file size, format, and pixel count (so a
small file that would decode to a huge bitmap, a decompression bomb, is refused unopened)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from common.exceptions import ApplicationError

# Pillow's format name -> the extension a stored file gets.
JPEG_PNG_WEBP: Mapping[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
JPEG_PNG_WEBP_GIF: Mapping[str, str] = {**JPEG_PNG_WEBP, "GIF": "gif"}
FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}


class ImageRejected(ApplicationError):
    """An upload that is no acceptable picture; `reason` says which rule it broke: "too_big" (the
    file), "not_an_image", "format", "too_many_pixels" (also a decompression bomb)."""

    code = "invalid_image"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, extra={"reason": reason})
        self.reason = reason


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    max_pixels: int
    formats: Mapping[str, str]


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    format: str
    extension: str
    width: int
    height: int


def _formats_text(formats: Mapping[str, str]) -> str:
    names = [FORMAT_NAMES.get(name, name) for name in formats]
    return ", ".join(names[:-1]) + " " + _("or") + " " + names[-1] if len(names) > 1 else names[0]


def image_check(upload: UploadedFile, rules: ImageRules) -> CheckedImage:
    """The upload's bytes when Pillow reads them as a picture within `rules` (never trusting its
    name or declared type); `ImageRejected` with a message a person can act on otherwise."""
    size = upload.size or 0
    megabytes = rules.max_bytes // (1024 * 1024)
    if size <= 0 or size > rules.max_bytes:
        raise ImageRejected(
            _("The file is empty.") if size <= 0 else
            _("The image is too large: at most %(mb)s MB, this file has %(size)s MB.")
            % {"mb": megabytes, "size": f"{size / (1024 * 1024):.1f}"},
            reason="not_an_image" if size <= 0 else "too_big")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    name = (upload.name or "")[:80]
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit and refuses at twice it; ours is checked below, on
            # the header's size, before anything is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format or "", probe.size
                if width * height > rules.max_pixels:
                    raise _too_many_pixels(rules.max_pixels)
                probe.verify()
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(rules.max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(_("“%(name)s” is not an image we can read.") % {"name": name} if name
                            else _("This file is not an image we can read."), reason="not_an_image") from exc
    if fmt not in rules.formats:
        raise ImageRejected(_("Images must be %(formats)s; this one is %(format)s.")
                            % {"formats": _formats_text(rules.formats), "format": FORMAT_NAMES.get(fmt, fmt or "?")},
                            reason="format")
    return CheckedImage(data=data, format=fmt, extension=rules.formats[fmt], width=width, height=height)


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    megapixels = max_pixels // 1_000_000
    return ImageRejected(
        ngettext("The image has too many pixels (at most %(n)s megapixel).",
                 "The image has too many pixels (at most %(n)s megapixels).", megapixels) % {"n": megapixels},
        reason="too_many_pixels")
