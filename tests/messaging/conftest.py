"""Messaging fixtures: a listed product of vendor B, a paid order of it, private files in a tmp dir."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from catalog.models import Variant
from catalog.services import outbox_publish_pending
from marketplace.models import Listing
from tests.factories import OrderFactory, ProductFactory


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def listed(vendor: Any, name: str) -> Listing:
    with schema_context(vendor.store.schema_name):
        product = ProductFactory(name=name, stock=20)
        outbox_publish_pending()
    return Listing.objects.get(vendor=vendor, product_id=product.pk)


@pytest.fixture
def listing_b(vendor_b: Any) -> Listing:
    return listed(vendor_b, "Bravo Copper Kettle")


@pytest.fixture
def order_b(vendor_b: Any, buyer: Any, listing_b: Listing) -> Any:
    with schema_context(vendor_b.store.schema_name):
        variant = Variant.objects.filter(product_id=listing_b.product_id).first()
    return OrderFactory(buyer=buyer, items=[(vendor_b, variant, 1)])
