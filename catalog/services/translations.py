"""Translations of a product's title and description (vendor schema): set or remove one language;
each change bumps the product's version and writes the outbox, so the listing follows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import InvalidProduct
from catalog.models import Product, ProductTranslation
from catalog.selectors import current_vendor_in_schema
from catalog.services.outbox import outbox_write
from catalog.services.validation import description_sanitize


def _language_check(language: str) -> str:
    code = (language or "").strip().lower()
    if code not in dict(settings.LANGUAGES):
        raise InvalidProduct(_("Choose one of the marketplace's languages."), fields={"language": ["invalid"]})
    vendor = current_vendor_in_schema()
    if vendor is not None and code == vendor.content_language:
        raise InvalidProduct(_("This is your store's content language: edit the product itself."),
                             fields={"language": ["default_language"]})
    return code


@transaction.atomic
def product_translation_set(*, product: Product, language: str, name: str, description: str = "",
                            user: Any = None) -> ProductTranslation:
    product = Product.objects.select_for_update().get(pk=product.pk)
    code = _language_check(language)
    name = (name or "").strip()[:200]
    if not name:
        raise InvalidProduct(_("A translation needs a title."), fields={"name": ["required"]})
    translation, _created = ProductTranslation.objects.update_or_create(
        product=product, language=code, defaults={"name": name, "description": description_sanitize(description)})
    outbox_write(product_id=product.pk)
    return translation


@transaction.atomic
def product_translation_delete(*, product: Product, language: str, user: Any = None) -> bool:
    product = Product.objects.select_for_update().get(pk=product.pk)
    deleted, _by_model = ProductTranslation.objects.filter(product=product, language=language).delete()
    if deleted:
        outbox_write(product_id=product.pk)
    return bool(deleted)
