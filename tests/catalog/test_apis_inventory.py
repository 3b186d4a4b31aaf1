"""Vendor inventory API and dashboard: locations, moves, bulk stock updates, the policy of selling beyond stock."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.models import StockAdjustment, StockLevel, StockLocation, Variant
from catalog.services import stock_location_create
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/vendor/stock/"


@pytest.fixture
def api(client_for, vendor_a, owner_a):
    return client_for(vendor_a, owner_a)


def _levels(sku: str) -> dict[str, int]:
    return {level.location.name: level.quantity for level in
            StockLevel.objects.filter(variant__sku=sku, quantity__gt=0).select_related("location")}


def _json(api: Any, method: str, url: str, body: Any, **headers: Any) -> Any:
    return getattr(api, method)(url, data=body, content_type="application/json", **headers)


def test_locations_are_created_listed_changed_and_deleted(api, vendor_a, in_schema):
    created = _json(api, "post", f"{API}locations/", {"name": "Lyon", "country": "fr", "priority": 10})
    assert created.status_code == 201 and created.json()["country"] == "FR"
    listed = api.get(f"{API}locations/").json()["results"]  # a page, like every API list (ADR 0043)
    assert [(row["name"], row["is_default"]) for row in listed] == [("Main warehouse", True), ("Lyon", False)]
    changed = _json(api, "put", f"{API}locations/{created.json()['id']}/",
                    {"name": "Lyon Est", "country": "FR", "is_default": True})
    assert changed.status_code == 200 and changed.json()["is_default"] is True
    with in_schema(vendor_a):
        assert list(StockLocation.objects.filter(is_default=True).values_list("name", flat=True)) == ["Lyon Est"]
    bad = _json(api, "post", f"{API}locations/", {"name": "Lyon Est", "country": "FR"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_stock_location"
    default_delete = api.delete(f"{API}locations/{created.json()['id']}/")
    assert default_delete.status_code == 400 and default_delete.json()["error"]["fields"] == {"location": ["default"]}


def test_a_move_through_the_api_and_a_refused_one(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        ProductFactory(name="Mug", sku="MUG", stock=5)
        main = StockLocation.objects.get(is_default=True)
        lyon = stock_location_create(name="Lyon", country="FR")
    moved = _json(api, "post", f"{API}moves/", {"sku": "MUG", "from_location_id": main.pk,
                                               "to_location_id": lyon.pk, "quantity": 2})
    assert moved.status_code == 201 and [row["delta"] for row in moved.json()] == [-2, 2]
    refused = _json(api, "post", f"{API}moves/", {"sku": "MUG", "from_location_id": lyon.pk,
                                                 "to_location_id": main.pk, "quantity": 3})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_stock_adjustment"
    assert refused.json()["error"]["fields"] == {"quantity": ["below_zero"]}
    with in_schema(vendor_a):
        assert _levels("MUG") == {"Main warehouse": 3, "Lyon": 2}


def test_the_bulk_api_applies_all_rows_or_names_every_bad_one(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        ProductFactory(name="Mug", sku="MUG", stock=5)
        ProductFactory(name="Cup", sku="CUP", stock=0)
        lyon = stock_location_create(name="Lyon", country="FR")
        history = StockAdjustment.objects.count()
    refused = _json(api, "post", f"{API}bulk/", {"rows": [
        {"sku": "MUG", "set": 8}, {"sku": "GHOST", "set": 1}, {"sku": "CUP", "location_id": lyon.pk, "adjust": -1}]})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_stock_adjustment" and "nothing was changed" in error["message"]
    assert [(row["row"], list(row["fields"])) for row in error["fields"]["rows"]] == [(1, ["sku"])]
    short = _json(api, "post", f"{API}bulk/", {"rows": [
        {"sku": "MUG", "set": 8}, {"sku": "CUP", "location_id": lyon.pk, "adjust": -1}]})
    assert short.status_code == 400 and [r["row"] for r in short.json()["error"]["fields"]["rows"]] == [1]
    with in_schema(vendor_a):
        assert _levels("MUG") == {"Main warehouse": 5} and StockAdjustment.objects.count() == history

    ok = _json(api, "post", f"{API}bulk/", {"rows": [
        {"sku": "MUG", "set": 8}, {"sku": "CUP", "location_id": lyon.pk, "adjust": 4, "reason": "received"}]},
        HTTP_IDEMPOTENCY_KEY="restock-42")
    assert ok.status_code == 200
    assert [(r["sku"], r["quantity"], r["stock"]) for r in ok.json()] == [("MUG", 8, 8), ("CUP", 4, 4)]
    retry = _json(api, "post", f"{API}bulk/", {"rows": [
        {"sku": "MUG", "set": 8}, {"sku": "CUP", "location_id": lyon.pk, "adjust": 4, "reason": "received"}]},
        HTTP_IDEMPOTENCY_KEY="restock-42")
    assert retry.json() == ok.json()
    other = _json(api, "post", f"{API}bulk/", {"rows": [{"sku": "CUP", "adjust": 1}]},
                  HTTP_IDEMPOTENCY_KEY="restock-42")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    with in_schema(vendor_a):
        assert _levels("CUP") == {"Lyon": 4}
    assert _json(api, "post", f"{API}bulk/", {"rows": "all"}).status_code == 400
    assert _json(api, "post", f"{API}bulk/", [1, 2]).status_code == 400


def test_the_policy_is_set_through_the_variant_api(api, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(name="Mug", sku="MUG", stock=0)
        variant = product.variants.get()
    url = f"/api/v1/vendor/products/{product.pk}/variants/{variant.pk}/"
    missing_date = _json(api, "patch", url, {"inventory_policy": "preorder", "backorder_limit": 20})
    assert missing_date.status_code == 400 and missing_date.json()["error"]["fields"] == {"available_on": ["required"]}
    done = _json(api, "patch", url, {"inventory_policy": "preorder", "backorder_limit": 20,
                                    "available_on": "2027-01-12"})
    assert done.status_code == 200
    assert (done.json()["inventory_policy"], done.json()["available_on"]) == ("preorder", "2027-01-12")
    with in_schema(vendor_a):
        assert Variant.objects.get(pk=variant.pk).sellable == 20


def test_the_dashboard_adds_a_warehouse_moves_stock_and_sets_a_preorder(client_for, vendor_a, owner_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(name="Mug", sku="MUG", stock=5)
        variant = product.variants.get()
        main = StockLocation.objects.get(is_default=True)
    client = client_for(vendor_a, owner_a)
    added = client.post("/dashboard/stock/locations/", {"name": "Lyon", "country": "FR", "priority": "10",
                                                        "is_default": "no"})
    with in_schema(vendor_a):
        lyon = StockLocation.objects.get(name="Lyon")
    assert added.status_code == 302 and added["Location"].endswith(f"/dashboard/stock/locations/{lyon.pk}/")
    url = f"/dashboard/products/{product.pk}/variants/{variant.pk}/stock/"
    too_many = client.post(url, {"action": "move", "move-source": main.pk, "move-target": lyon.pk,
                                 "move-quantity": "9"})
    assert too_many.status_code == 200 and "Main warehouse holds 5" in too_many.content.decode()
    assert client.post(url, {"action": "move", "move-source": main.pk, "move-target": lyon.pk,
                             "move-quantity": "2"}).status_code == 302
    assert client.post(url, {"action": "policy", "policy-inventory_policy": "preorder",
                             "policy-backorder_limit": "10", "policy-available_on": "2027-01-12"}).status_code == 302
    page = client.get(f"/dashboard/stock/locations/{lyon.pk}/").content.decode()
    assert 'data-sku="MUG"' in page and '<td data-testid="here">2</td>' in page
    with in_schema(vendor_a):
        variant.refresh_from_db()
        assert _levels("MUG") == {"Main warehouse": 3, "Lyon": 2}
        assert (variant.inventory_policy, str(variant.available_on)) == ("preorder", "2027-01-12")
    listed = client.get("/dashboard/stock/locations/").content.decode()
    assert 'data-location="Lyon"' in listed and 'data-location="Main warehouse"' in listed


def test_b_cannot_read_or_change_a_locations_or_stock(client_for, vendor_a, vendor_b, owner_b, in_schema):
    """Vendor B, on its own host, with A's location ids and SKU: nothing of A shows or changes."""
    from tests.support.state import rows

    with in_schema(vendor_a):
        ProductFactory(name="Alpha Secret Kite", sku="ALPHA-KITE", stock=4)
        depot = stock_location_create(name="Alpha secret depot", country="DE")
        main = StockLocation.objects.get(is_default=True)
        before = rows(StockLocation, StockLevel, StockAdjustment, Variant)
    with in_schema(vendor_b):
        assert not StockLocation.objects.filter(pk=depot.pk).exists()  # the id is free in B's schema
    api, page = client_for(vendor_b, owner_b), client_for(vendor_b, owner_b)
    assert b"Alpha secret depot" not in api.get(f"{API}locations/").content
    assert api.get(f"{API}locations/{depot.pk}/").status_code in (404, 405)
    assert _json(api, "put", f"{API}locations/{depot.pk}/", {"name": "Taken", "country": "FR"}).status_code == 404
    assert api.delete(f"{API}locations/{depot.pk}/").status_code == 404
    assert _json(api, "post", f"{API}moves/", {"sku": "ALPHA-KITE", "from_location_id": main.pk,
                                              "to_location_id": depot.pk, "quantity": 1}).status_code == 404
    bulk = _json(api, "post", f"{API}bulk/", {"rows": [{"sku": "ALPHA-KITE", "location_id": depot.pk, "set": 0}]})
    assert bulk.status_code == 400 and sorted(bulk.json()["error"]["fields"]["rows"][0]["fields"]) == [
        "location_id", "sku"]
    assert page.get(f"/dashboard/stock/locations/{depot.pk}/").status_code == 404
    assert page.post(f"/dashboard/stock/locations/{depot.pk}/", {"name": "Taken", "country": "FR",
                                                                "priority": "1", "is_default": "yes"}).status_code == 404
    assert page.post(f"/dashboard/stock/locations/{depot.pk}/delete/").status_code == 404
    assert b"Alpha secret depot" not in page.get("/dashboard/stock/locations/").content
    assert b"ALPHA-KITE" not in page.get(f"/dashboard/stock/locations/{main.pk}/").content
    with in_schema(vendor_a):
        assert rows(StockLocation, StockLevel, StockAdjustment, Variant) == before


def test_the_low_stock_task_reads_only_the_schema_it_runs_in(vendor_a, vendor_b, owner_a, owner_b, in_schema):
    """The task takes variant ids and nothing else: run in B's schema (as the task machinery would
    for a message queued there), A's low variant is neither found nor told to anyone."""
    from catalog.services import stock_reserve
    from notifications.models import Notification
    from notifications.tasks import low_stock_alert

    with in_schema(vendor_a):
        low = ProductFactory(name="Alpha Secret Kite", sku="ALPHA-KITE", stock=6).variants.get()
        stock_reserve(lines=[(low.pk, 3)], note="sale")  # 6 → 3: below the alert level of 5
    with in_schema(vendor_b):
        assert not Variant.objects.filter(pk=low.pk).exists()
        assert low_stock_alert([low.pk]) == 0
    assert not Notification.objects.filter(kind="low_stock").exists()
    with in_schema(vendor_a):
        assert low_stock_alert([low.pk]) == 1
    assert list(Notification.objects.filter(kind="low_stock").values_list("recipient", flat=True)) == [owner_a.pk]
