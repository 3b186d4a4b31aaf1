"""Tenant isolation: vendor B never sees or changes vendor A's data, by any path."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context

from catalog.models import Product, Variant
from tests.factories import ProductFactory, UserFactory
from tests.factories.vendors import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_a(vendor_a, in_schema):
    with in_schema(vendor_a):
        return ProductFactory(name="Alpha Secret Lantern", sku="ALPHA-LANTERN", price_amount=4200)


def test_b_dashboard_never_lists_a_products(client_for, vendor_b, owner_b, product_a):
    response = client_for(vendor_b, owner_b).get("/dashboard/products/")
    assert response.status_code == 200
    assert b"Alpha Secret Lantern" not in response.content


def test_b_storefront_never_lists_a_products(client_for, vendor_a, vendor_b, product_a):
    assert b"Alpha Secret Lantern" in client_for(vendor_a).get("/").content
    assert b"Alpha Secret Lantern" not in client_for(vendor_b).get("/").content


def test_a_product_id_on_b_api_is_404_for_read_change_and_delete(
    client_for, vendor_a, vendor_b, owner_b, product_a, in_schema
):
    api = client_for(vendor_b, owner_b)
    url = f"/api/v1/vendor/products/{product_a.pk}/"
    assert api.get(url).status_code == 404
    patch = api.patch(url, data={"price_amount": 1}, content_type="application/json")
    assert patch.status_code == 404
    assert patch.json()["error"]["code"] == "not_found"
    assert api.delete(url).status_code == 404
    listing = api.get("/api/v1/vendor/products/").json()
    assert all(
        variant["sku"] != "ALPHA-LANTERN" for item in listing["results"] for variant in item["variants"]
    )
    with in_schema(vendor_a):
        product = Product.objects.get(pk=product_a.pk)
        price = product.variants.get().price_amount
    assert (price, product.status) == (4200, "active")


def test_creating_on_b_never_writes_into_a(client_for, vendor_a, vendor_b, owner_b, in_schema):
    response = client_for(vendor_b, owner_b).post(
        "/api/v1/vendor/products/",
        data={"name": "Bravo Mug", "sku": "B-MUG", "price_amount": 900, "currency": "EUR"},
        content_type="application/json",
    )
    assert response.status_code == 201
    with in_schema(vendor_a):
        assert not Variant.objects.filter(sku="B-MUG").exists()
    with in_schema(vendor_b):
        assert Variant.objects.filter(sku="B-MUG").exists()


def test_a_staff_cannot_use_b_dashboard_or_api(client_for, vendor_b, owner_a):
    client = client_for(vendor_b, owner_a)
    assert client.get("/dashboard/").status_code == 404
    assert client.get("/dashboard/products/").status_code == 404
    assert client.get("/api/v1/vendor/products/").status_code == 403


def test_membership_role_is_per_vendor(client_for, vendor_a, vendor_b):
    staff = UserFactory(email="staff-a@example.com")
    MembershipFactory(user=staff, vendor=vendor_a, role="staff")
    assert client_for(vendor_a, staff).get("/dashboard/").status_code == 200
    assert client_for(vendor_b, staff).get("/dashboard/").status_code == 404


def test_anonymous_dashboard_redirects_to_login(client_for, vendor_a):
    response = client_for(vendor_a).get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_cache_entry_of_a_is_not_read_in_b(vendor_a, vendor_b):
    with schema_context(vendor_a.store.schema_name):
        cache.set("storefront:banner", "alpha banner", 60)
        assert cache.get("storefront:banner") == "alpha banner"
    with schema_context(vendor_b.store.schema_name):
        assert cache.get("storefront:banner") is None
    with schema_context(vendor_a.store.schema_name):
        cache.delete("storefront:banner")


def test_media_file_of_a_cannot_be_fetched_under_b(client_for, vendor_a, vendor_b):
    with schema_context(vendor_a.store.schema_name):
        name = default_storage.save("isolation/logo.txt", ContentFile(b"alpha-only"))
        url = default_storage.url(name)
    try:
        assert url.startswith(f"/media/{vendor_a.store.schema_name}/")
        own = client_for(vendor_a).get(url)
        assert own.status_code == 200
        assert b"".join(own.streaming_content) == b"alpha-only"
        assert client_for(vendor_b).get(url).status_code == 404
        # The same relative name under B's prefix does not reach A's file either.
        b_url = url.replace(vendor_a.store.schema_name, vendor_b.store.schema_name)
        assert client_for(vendor_b).get(b_url).status_code == 404
        assert client_for(vendor_b).get(b_url.replace("isolation", "../v_alpha/isolation")).status_code == 404
    finally:
        with schema_context(vendor_a.store.schema_name):
            default_storage.delete(name)


@pytest.mark.django_db(transaction=True)
def test_task_queued_in_a_runs_in_a_schema(task_worker, vendor_a, vendor_b):
    from tenants.tasks import tenant_ping

    with schema_context(vendor_a.store.schema_name):
        result_a = tenant_ping.delay()
    with schema_context(vendor_b.store.schema_name):
        result_b = tenant_ping.delay()
    public_result = tenant_ping.delay()
    assert result_a.get(timeout=30) == vendor_a.store.schema_name
    assert result_b.get(timeout=30) == vendor_b.store.schema_name
    assert public_result.get(timeout=30) == "public"
