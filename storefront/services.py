"""Storefront settings writes (in the current vendor's schema)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from storefront.models import StorefrontSettings
from vendors.uploads import IMAGE_MAX_BYTES, IMAGE_TYPES, upload_check

TEXT_FIELDS = ("name", "description", "shipping_policy", "returns_policy", "support_email")


def storefront_settings_get() -> StorefrontSettings:
    settings_row, _created = StorefrontSettings.objects.get_or_create(singleton=1)
    return settings_row


@transaction.atomic
def storefront_settings_update(
    *, logo: Any = None, banner: Any = None, **changes: Any
) -> StorefrontSettings:
    checked = {
        name: upload_check(upload=upload, allowed=IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES, field=name)
        for name, upload in (("logo", logo), ("banner", banner)) if upload is not None
    }
    storefront_settings_get()
    row = StorefrontSettings.objects.select_for_update().get(singleton=1)
    fields = [name for name in changes if name in TEXT_FIELDS]
    for name in fields:
        setattr(row, name, changes[name])
    for name, upload in checked.items():
        getattr(row, name).save(upload.stored_name(), upload.file, save=False)
        fields.append(name)
    row.save(update_fields=[*fields, "updated_at"])
    return row
