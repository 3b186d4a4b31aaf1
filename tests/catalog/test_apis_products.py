"""Vendor catalog API: create, read, change, variants, stock, bulk, images; errors as 4xx bodies."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import OutboxEvent, Product, ProductImage, Variant
from tests.factories import ProductFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/products/"


def _png(size=(800, 600), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def api(client_for, vendor_a, owner_a):
    return client_for(vendor_a, owner_a)


def test_token_auth_create_with_variants_and_read_back(client_for, vendor_a, owner_a, in_schema):
    from accounts.tokens import api_token_issue

    _, token = api_token_issue(user=owner_a, device="test")
    client = client_for(vendor_a)
    body = {"name": "Rain Jacket", "status": "active", "option_types": ["size"],
            "description": "<p>Dry <script>x</script></p>", "attributes": {"material": "nylon"},
            "variants": [{"sku": "RJ-S", "price_amount": 9900, "stock": 2, "options": {"size": "S"}},
                         {"sku": "RJ-M", "price_amount": 9900, "compare_at_amount": 12900, "options": {"size": "M"}}]}
    response = client.post(URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [v["sku"] for v in data["variants"]] == ["RJ-S", "RJ-M"]
    assert "script" not in data["description"]
    detail = client.get(f"{URL}{data['id']}/", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert detail["variants"][1]["compare_at_amount"] == 12900
    assert client.get(URL).status_code == 401


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"name": "X", "sku": "N1", "price_amount": -5}, 400, "price_amount"),
    ({"name": "X", "sku": "N1", "price_amount": "12.5"}, 400, "price_amount"),
    ({"name": "X", "sku": "N1", "price_amount": 100, "currency": "USD"}, 400, "currency"),
    ({"name": "X", "sku": "N1", "price_amount": 100, "currency": "EURO"}, 400, "currency"),
    ({"name": "", "sku": "N1", "price_amount": 100}, 400, "name"),
    ({"name": "X", "sku": "N1"}, 400, "sku"),
    ({"name": "X", "variants": [{"sku": "N1", "price_amount": 1, "stock": -1}]}, 400, "variants"),
])
def test_bad_input_is_a_clear_400_and_writes_nothing(api, vendor_a, in_schema, body, status, field):
    response = api.post(URL, data=body, content_type="application/json")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] in {"invalid", "invalid_product"} and error["message"]
    assert field in error["fields"]
    with in_schema(vendor_a):
        assert not Product.objects.exists() and not OutboxEvent.objects.exists()


def test_duplicate_sku_is_409(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        ProductFactory(sku="DUP-1")
    response = api.post(URL, data={"name": "Again", "sku": "DUP-1", "price_amount": 1}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_sku"


def test_patch_variants_stock_and_archive(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(name="Cap", sku="CAP-1", price_amount=1000, stock=1)
        variant = product.variants.get()
    base = f"{URL}{product.pk}/"
    assert api.patch(base, data={"name": "Cap 2", "status": "draft"}, content_type="application/json").json()["name"] == "Cap 2"
    assert api.patch(base, data={"status": "gone"}, content_type="application/json").status_code == 400
    new = api.post(f"{base}variants/", data={"sku": "CAP-2", "price_amount": 1200}, content_type="application/json")
    assert new.status_code == 201
    assert api.patch(f"{base}variants/{variant.pk}/", data={"price_amount": 1100},
                     content_type="application/json").json()["price_amount"] == 1100
    stock = api.post(f"{base}variants/{variant.pk}/stock/", data={"delta": 4, "reason": "received", "note": "PO-7"},
                     content_type="application/json")
    assert stock.status_code == 201 and stock.json()["stock_after"] == 5
    below = api.post(f"{base}variants/{variant.pk}/stock/", data={"delta": -50, "reason": "correction"},
                     content_type="application/json")
    assert below.status_code == 400 and below.json()["error"]["code"] == "invalid_stock_adjustment"
    history = api.get(f"{base}variants/{variant.pk}/stock/").json()["results"]
    assert [h["delta"] for h in history] == [4, 1]
    assert api.delete(base).status_code == 204
    with in_schema(vendor_a):
        assert Product.objects.get(pk=product.pk).status == "archived"
    assert api.delete(f"{base}?permanent=true").status_code == 204
    with in_schema(vendor_a):
        assert not Product.objects.filter(pk=product.pk).exists()
        assert OutboxEvent.objects.filter(product_id=product.pk, event_type="product.deleted").exists()


def test_bulk_actions(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        ids = [ProductFactory(status="draft", price_amount=1000).pk for _ in range(3)]
    assert api.post(f"{URL}bulk/", data={"action": "activate", "ids": ids}, content_type="application/json").json() == {"changed": 3}
    assert api.post(f"{URL}bulk/", data={"action": "price", "ids": ids[:1], "percent": -10},
                    content_type="application/json").status_code == 200
    assert api.post(f"{URL}bulk/", data={"action": "price", "ids": ids, "percent": 9999},
                    content_type="application/json").status_code == 400
    assert api.post(f"{URL}bulk/", data={"action": "explode", "ids": ids}, content_type="application/json").status_code == 400
    with in_schema(vendor_a):
        assert sorted(Variant.objects.values_list("price_amount", flat=True)) == [900, 1000, 1000]
        assert set(Product.objects.values_list("status", flat=True)) == {"active"}


def test_image_upload_accepts_images_and_refuses_others(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory()
    url = f"{URL}{product.pk}/images/"
    ok = api.post(url, data={"image": SimpleUploadedFile("a.png", _png(), "image/png"), "alt": "red"})
    assert ok.status_code == 201, ok.json()
    assert ok.json()["width"] == 800 and ok.json()["url"].startswith(f"/media/{vendor_a.store.schema_name}/")
    fake = api.post(url, data={"image": SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", "image/png")})
    assert fake.status_code == 400 and fake.json()["error"]["fields"] == {"image": ["not_an_image"]}
    big = api.post(url, data={"image": SimpleUploadedFile("big.png", _png() + b"0" * (5 * 1024 * 1024), "image/png")})
    assert big.status_code == 400 and big.json()["error"]["fields"] == {"image": ["too_big"]}
    with in_schema(vendor_a):
        images = list(ProductImage.objects.filter(product=product))
        assert len(images) == 1
        images[0].image.delete(save=False)


@pytest.mark.django_db(transaction=True)
def test_thumbnail_is_made_by_the_real_worker(task_worker, client_for, vendor_a, owner_a, in_schema):
    api = client_for(vendor_a, owner_a)
    with in_schema(vendor_a):
        product = ProductFactory()
    try:
        response = api.post(f"{URL}{product.pk}/images/",
                            data={"image": SimpleUploadedFile("p.jpg", _png((1600, 1200), "JPEG"), "image/jpeg")})
        assert response.status_code == 201
        with in_schema(vendor_a):
            image_id = response.json()["id"]
            image = wait_until(lambda: ProductImage.objects.exclude(thumbnail_status="pending").filter(pk=image_id).first(),
                               timeout=30, message="thumbnail made")
            assert image.thumbnail_status == "ready"
            with image.thumbnail.open("rb") as handle, Image.open(handle) as thumb:
                assert max(thumb.size) == 400 and thumb.format == "WEBP"
            assert image.thumbnail.name.startswith(f"products/{product.pk}/")
    finally:
        with in_schema(vendor_a):
            for image in ProductImage.objects.all():
                image.image.delete(save=False)
                if image.thumbnail:
                    image.thumbnail.delete(save=False)
            Product.objects.all().delete()
            OutboxEvent.objects.all().delete()
