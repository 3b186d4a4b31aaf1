"""The category tree: services (paths follow moves) and the ops console pages."""

from __future__ import annotations

import pytest

from common.exceptions import Conflict
from marketplace import services
from marketplace.models import Category
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


def test_unlimited_depth_and_slug_paths():
    parent = None
    for depth in range(12):
        parent = services.category_create(name=f"Level {depth}", parent=parent)
    assert parent.depth == 11
    assert parent.path == "/".join(f"level-{n}" for n in range(12))


def test_move_and_rename_update_descendant_paths_and_listing_search_text():
    home = services.category_create(name="Home")
    kitchen = services.category_create(name="Kitchen", parent=home)
    knives = services.category_create(name="Knives", parent=kitchen)
    listing = make_listing(VendorFactory(), "Paring knife", category_id=knives.pk)
    assert listing.category_text == "Home Kitchen Knives"
    cooking = services.category_create(name="Cooking")
    services.category_update(category=kitchen, parent=cooking, name="Cookware", slug="cookware")
    knives.refresh_from_db()
    listing.refresh_from_db()
    assert (knives.path, knives.depth) == ("cooking/cookware/knives", 2)
    assert listing.category_text == "Cooking Cookware Knives"


def test_cycles_duplicates_and_deleting_parents_are_refused():
    root = services.category_create(name="Root")
    child = services.category_create(name="Child", parent=root)
    with pytest.raises(services.InvalidCategory):
        services.category_update(category=root, parent=child)
    with pytest.raises(Conflict):
        services.category_create(name="Child", parent=root)
    with pytest.raises(Conflict):
        services.category_delete(category=root)
    services.category_delete(category=child)
    assert not Category.objects.filter(pk=child.pk).exists()


def test_ops_pages_manage_the_tree(client_for, admin_user, finance_user, buyer):
    client = client_for("marketplace.localhost", admin_user)
    assert client.get("/ops/categories/").status_code == 200
    response = client.post("/ops/categories/", {"name": "Toys", "slug": "", "parent": "", "position": "0"})
    assert response.status_code == 302
    toys = Category.objects.get(path="toys")
    client.post("/ops/categories/", {"name": "Puzzles", "parent": str(toys.pk)})
    assert Category.objects.filter(path="toys/puzzles").exists()
    duplicate = client.post("/ops/categories/", {"name": "Puzzles", "parent": str(toys.pk)})
    assert duplicate.status_code == 200 and "already exists" in duplicate.content.decode()
    empty = client.post("/ops/categories/", {"name": ""})
    assert empty.status_code == 200 and "is-invalid" in empty.content.decode()
    client.post(f"/ops/categories/{toys.pk}/", {"name": "Toys & Games", "slug": "toys-games", "parent": "", "position": "1"})
    assert Category.objects.filter(path="toys-games/puzzles").exists()
    refused = client.post(f"/ops/categories/{toys.pk}/", {"action": "delete"}, follow=True)
    assert Category.objects.filter(pk=toys.pk).exists() and "subcategories" in refused.content.decode()
    assert client.get("/ops/categories/999999/").status_code == 404
    assert client_for("marketplace.localhost", finance_user).get("/ops/categories/").status_code == 403
    assert client_for("marketplace.localhost", buyer).get("/ops/categories/").status_code == 403
    assert client_for("marketplace.localhost").get("/ops/categories/").status_code == 302
