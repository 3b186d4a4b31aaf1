"""Shoppable, branded storefronts (ADR 0091): branding with contrast-checked colours, the vendor
host's product page, add to cart from the vendor host ending in the platform's cart, following a
store, and the vendor host's sitemap and robots.txt (ADR 0090)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django_tenants.utils import schema_context

from catalog.models import Product
from marketplace.models import StoreFollow
from orders.models import CartItem
from storefront import colours
from storefront.errors import InvalidBranding
from storefront.models import StorefrontSettings
from storefront.services import branding_colours_check, storefront_settings_update
from tests.factories.orders import sellable_variant
from tests.marketplace.helpers import make_listing
from tests.marketplace.test_seo import json_ld, product_schema_problems

pytestmark = pytest.mark.django_db
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _locs(body: bytes) -> list[str]:
    return [node.text or "" for node in ET.fromstring(body).iter(f"{NS}loc")]


def _listed(vendor: Any, name: str, *, price: int = 1500) -> tuple[Any, Any]:
    """A product in the vendor's schema with one variant, and its marketplace listing."""
    variant = sellable_variant(vendor, price=price, name=name)
    with schema_context(vendor.store.schema_name):
        product = Product.objects.get(pk=variant.product_id)
    listing = make_listing(vendor, name, product_id=product.pk, price=price)
    listing.variants = [{**listing.variants[0], "id": variant.pk, "sku": variant.sku}]
    listing.handle = product.handle
    listing.save(update_fields=["variants", "handle"])
    return variant, listing


# --- colours -----------------------------------------------------------------------------------


def test_contrast_matches_wcag_reference_values():
    assert round(colours.contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(colours.contrast("#777777", "#ffffff"), 2) == 4.48
    assert colours.text_on("#ffff00") == colours.INK and colours.text_on("#0b1f4d") == colours.PAPER


@pytest.mark.parametrize(("value", "stored"), [("#0B6E4F", "#0b6e4f"), ("3b3fb6", "#3b3fb6"), ("", "")])
def test_brand_colour_accepted_when_readable(value, stored):
    assert branding_colours_check(brand_color=value)["brand_color"] == stored


@pytest.mark.parametrize(("value", "code"), [("#ffcc00", "contrast"), ("#777777", "contrast"),
                                             ("red", "format"), ("#12345", "format"), ("#gg0000", "format")])
def test_brand_colour_refused_when_unreadable_or_malformed(value, code):
    with pytest.raises(InvalidBranding) as caught:
        branding_colours_check(brand_color=value)
    assert caught.value.fields == {"brand_color": [code]}


def test_dashboard_saves_branding_and_shows_a_form_error_for_a_pale_colour(client_for, vendor_a, owner_a, in_schema):
    client = client_for(vendor_a, owner_a)
    form = {"name": "Alpha Outdoors", "about": "Since 1999.", "brand_color": "#0b6e4f", "header_color": "#ffe8a3",
            "instagram_url": "https://instagram.com/alpha"}
    assert client.post("/dashboard/storefront/", form).status_code == 302
    refused = client.post("/dashboard/storefront/", {**form, "brand_color": "#ffee88", "about": "Changed"})
    assert refused.status_code == 400 and "too light to read" in refused.content.decode()
    with in_schema(vendor_a):
        row = StorefrontSettings.objects.get()
    assert (row.brand_color, row.header_color, row.about) == ("#0b6e4f", "#ffe8a3", "Since 1999.")
    page = client_for(vendor_a).get("/about/").content.decode()
    assert "--sf-brand: #0b6e4f" in page and f"--sf-header-ink: {colours.INK}" in page
    assert "Since 1999." in page and 'href="https://instagram.com/alpha"' in page


def test_vendor_cannot_edit_another_vendors_branding(client_for, vendor_a, vendor_b, owner_a, in_schema):
    with in_schema(vendor_b):
        storefront_settings_update(name="Bravo", brand_color="#3b3fb6")
    response = client_for(vendor_b, owner_a).post("/dashboard/storefront/", {"name": "Taken", "brand_color": "#000000"})
    assert response.status_code in (403, 404)
    with in_schema(vendor_b):
        assert StorefrontSettings.objects.get().name == "Bravo"
        assert StorefrontSettings.objects.get().brand_color == "#3b3fb6"


# --- the product page and the cart -------------------------------------------------------------


def test_vendor_host_product_page_offers_add_to_cart_and_points_canonical_at_the_marketplace(client_for, vendor_a):
    _variant, listing = _listed(vendor_a, "Trail Tent")
    client = client_for(vendor_a)
    home = client.get("/").content.decode()
    own_url = f"/products/{listing.product_id}/{listing.handle}/"
    assert f'href="{own_url}"' in home
    body = client.get(own_url).content.decode()
    assert 'action="/cart/add/"' in body and "Trail Tent" in body
    canonical = f"http://marketplace.localhost/p/{listing.pk}/{listing.handle}/"
    assert f'<link rel="canonical" href="{canonical}">' in body
    [data] = json_ld(body)
    assert product_schema_problems(data) == [] and data["url"] == canonical


def test_vendor_host_product_old_handle_redirects_and_another_vendors_product_is_not_found(client_for, vendor_a, vendor_b):
    _variant, listing = _listed(vendor_a, "Camp Stove")
    client = client_for(vendor_a)
    response = client.get(f"/products/{listing.product_id}/camp-stove-old/")
    assert response.status_code == 301 and response["Location"] == f"/products/{listing.product_id}/{listing.handle}/"
    assert client.get(f"/products/{listing.product_id}/")["Location"].endswith(f"/{listing.handle}/")
    _other, b_listing = _listed(vendor_b, "Bravo Secret Kettle")
    assert client.get(f"/products/{b_listing.product_id}/{b_listing.handle}/").status_code == 404


def test_add_to_cart_on_the_vendor_host_ends_in_the_same_platform_cart(client_for, vendor_a, vendor_b, buyer):
    a_variant, _a = _listed(vendor_a, "Head Torch", price=2000)
    b_variant, _b = _listed(vendor_b, "Tea Pot", price=3000)
    platform = client_for("marketplace.localhost", buyer)
    assert platform.post("/cart/add/", {"vendor_id": vendor_b.pk, "variant_id": b_variant.pk}).status_code == 302
    store = client_for(vendor_a)
    handed = store.post("/cart/add/", {"variant_id": a_variant.pk, "quantity": "2"})
    assert handed.status_code == 303
    target = urlsplit(handed["Location"])
    assert target.netloc == "marketplace.localhost" and target.path == "/cart/add/from-store/"
    token = parse_qs(target.query)["t"][0]
    landed = platform.get(f"/cart/add/from-store/?t={token}")
    assert landed.status_code == 302 and landed["Location"] == "/cart/"
    items = {(item.vendor_id, item.variant_id): item.quantity for item in CartItem.objects.filter(cart__user=buyer)}
    assert items == {(vendor_b.pk, b_variant.pk): 1, (vendor_a.pk, a_variant.pk): 2}
    # The same token again (a reload, a shared link) adds nothing more.
    platform.get(f"/cart/add/from-store/?t={token}")
    assert CartItem.objects.get(cart__user=buyer, variant_id=a_variant.pk).quantity == 2


def test_cart_handoff_refuses_forged_tokens_embedded_requests_and_bad_input(client_for, vendor_a, buyer):
    variant, _listing = _listed(vendor_a, "Map Case")
    platform = client_for("marketplace.localhost", buyer)
    assert platform.get("/cart/add/from-store/?t=forged").status_code == 302
    store = client_for(vendor_a)
    token = parse_qs(urlsplit(store.post("/cart/add/", {"variant_id": variant.pk})["Location"]).query)["t"][0]
    assert platform.get(f"/cart/add/from-store/?t={token}", HTTP_SEC_FETCH_DEST="image").status_code == 400
    assert not CartItem.objects.filter(cart__user=buyer).exists()
    assert store.post("/cart/add/", {"variant_id": "x"}).status_code == 400
    assert store.post("/cart/add/", {"variant_id": variant.pk, "quantity": "0"}).status_code == 400
    # The refused embedded request did not spend the token: the buyer's own navigation still adds it.
    assert platform.get(f"/cart/add/from-store/?t={token}").status_code == 302
    assert CartItem.objects.filter(cart__user=buyer).count() == 1


# --- following ----------------------------------------------------------------------------------


def test_buyer_follows_a_store_and_finds_it_in_the_account(client_for, vendor_a, buyer):
    assert f"/stores/{vendor_a.slug}/follow/" in client_for(vendor_a).get("/").content.decode()
    platform = client_for("marketplace.localhost", buyer)
    assert "Follow Alpha?" in platform.get(f"/stores/{vendor_a.slug}/follow/").content.decode()
    assert platform.post(f"/stores/{vendor_a.slug}/follow/", {"action": "follow"}).status_code == 302
    platform.post(f"/stores/{vendor_a.slug}/follow/", {"action": "follow"})
    assert StoreFollow.objects.filter(user=buyer, vendor=vendor_a).count() == 1
    listed = platform.get("/account/stores/").content.decode()
    assert f'data-store="{vendor_a.slug}"' in listed and f"http://{vendor_a.host}/" in listed
    platform.post(f"/stores/{vendor_a.slug}/follow/", {"action": "unfollow"})
    assert not StoreFollow.objects.filter(user=buyer).exists()


def test_following_needs_a_signed_in_buyer_and_a_selling_store(client_for, vendor_a):
    anonymous = client_for("marketplace.localhost")
    assert "/accounts/login/" in anonymous.post(f"/stores/{vendor_a.slug}/follow/")["Location"]
    assert client_for("marketplace.localhost", vendor_a.memberships.get().user).get(
        "/stores/nobody-here/follow/").status_code == 404


# --- the vendor host's sitemap and robots.txt ---------------------------------------------------


def test_vendor_sitemap_lists_only_its_own_products_at_their_canonical_address(client_for, vendor_a, vendor_b):
    _a, a_listing = _listed(vendor_a, "Alpha Rope")
    _b, b_listing = _listed(vendor_b, "Bravo Whisk")
    client = client_for(vendor_a)
    sections = _locs(client.get("/sitemap.xml").content)
    assert sections == [f"http://{vendor_a.host}/sitemap-pages.xml", f"http://{vendor_a.host}/sitemap-products.xml"]
    products = _locs(client.get("/sitemap-products.xml").content)
    assert products == [f"http://marketplace.localhost/p/{a_listing.pk}/{a_listing.handle}/"]
    assert f"/p/{b_listing.pk}/" not in client.get("/sitemap-products.xml").content.decode()
    assert _locs(client.get("/sitemap-pages.xml").content) == [f"http://{vendor_a.host}/", f"http://{vendor_a.host}/about/"]


def test_vendor_robots_txt_keeps_crawlers_out_of_the_dashboard(client_for, vendor_a):
    body = client_for(vendor_a).get("/robots.txt").content.decode()
    assert "Disallow: /dashboard/" in body and f"Sitemap: http://{vendor_a.host}/sitemap.xml" in body


def test_storefront_home_has_store_json_ld_and_hreflang(client_for, vendor_a, in_schema):
    with in_schema(vendor_a):
        storefront_settings_update(name="Alpha Outdoors", description="Gear for hills.",
                                   website_url="https://alpha.example.com")
    body = client_for(vendor_a).get("/").content.decode()
    [data] = json_ld(body)
    assert data["@type"] == "Store" and data["name"] == "Alpha Outdoors"
    assert data["sameAs"] == ["https://alpha.example.com"]
    assert f'<link rel="alternate" hreflang="fr" href="http://{vendor_a.host}/?lang=fr">' in body
