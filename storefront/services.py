"""Storefront settings writes (in the current vendor's schema)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from common.images import JPEG_PNG_WEBP, CheckedImage, ImageRejected, ImageRules, image_check
from storefront import colours
from storefront.errors import InvalidBranding
from storefront.models import StorefrontSettings

TEXT_FIELDS = ("name", "description", "shipping_policy", "returns_policy", "support_email", "about",
               "website_url", "instagram_url", "facebook_url")
COLOUR_FIELDS = ("brand_color", "header_color")
BRANDING_IMAGE_MAX_BYTES = 5 * 1024 * 1024
# A banner 4000 px wide is plenty for any screen; the limit keeps a decompression bomb out.
BRANDING_IMAGE_MAX_PIXELS = 40_000_000


def branding_colours_check(*, brand_color: str = "", header_color: str = "") -> dict[str, str]:
    """The colours as stored (`#rrggbb`, or "" for the design system's own). The brand colour
    carries white button text and sits as link text on the page's paper and soft surface, so it
    must reach WCAG AA contrast (4.5:1) with both; the header's text colour follows its band."""
    checked: dict[str, str] = {}
    for name, value in (("brand_color", brand_color), ("header_color", header_color)):
        if not (value or "").strip():
            checked[name] = ""
            continue
        parsed = colours.colour_parse(value)
        if parsed is None:
            raise InvalidBranding(_("Give a colour as #rrggbb, for example #0b6e4f."), fields={name: ["format"]})
        checked[name] = parsed
    brand = checked["brand_color"]
    if brand:
        ratio = min(colours.contrast(brand, colours.PAPER), colours.contrast(brand, colours.SURFACE))
        if ratio < colours.MIN_CONTRAST:
            raise InvalidBranding(
                _("This colour is too light to read on the page (contrast %(ratio)s:1, at least 4.5:1 is "
                  "needed). Choose a darker shade.") % {"ratio": f"{ratio:.1f}"},
                fields={"brand_color": ["contrast"]})
    return checked


def branding_image_check(upload: Any, *, field: str) -> CheckedImage:
    """A logo or banner: JPEG, PNG or WebP of at most BRANDING_IMAGE_MAX_BYTES and
    BRANDING_IMAGE_MAX_PIXELS (common.images), else a form error on `field`."""
    rules = ImageRules(max_bytes=BRANDING_IMAGE_MAX_BYTES, max_pixels=BRANDING_IMAGE_MAX_PIXELS, formats=JPEG_PNG_WEBP)
    try:
        return image_check(upload, rules)
    except ImageRejected as exc:
        raise InvalidBranding(exc.message, fields={field: [exc.reason]}) from exc


def storefront_settings_get() -> StorefrontSettings:
    settings_row, _created = StorefrontSettings.objects.get_or_create(singleton=1)
    return settings_row


@transaction.atomic
def storefront_settings_update(
    *, logo: Any = None, banner: Any = None, **changes: Any
) -> StorefrontSettings:
    checked = {name: branding_image_check(upload, field=name)
               for name, upload in (("logo", logo), ("banner", banner)) if upload is not None}
    colour_changes = {name: changes[name] for name in COLOUR_FIELDS if name in changes}
    if colour_changes:
        colour_changes = {name: value for name, value in branding_colours_check(**colour_changes).items()
                          if name in colour_changes}
    storefront_settings_get()
    row = StorefrontSettings.objects.select_for_update().get(singleton=1)
    fields = [name for name in changes if name in TEXT_FIELDS]
    for name in fields:
        setattr(row, name, changes[name])
    for name, value in colour_changes.items():
        setattr(row, name, value)
        fields.append(name)
    for name, image in checked.items():
        # A random name: the client's file name never reaches the file system.
        getattr(row, name).save(f"{uuid.uuid4().hex}.{image.extension}", ContentFile(image.data), save=False)
        fields.append(name)
    row.save(update_fields=[*fields, "updated_at"])
    return row
