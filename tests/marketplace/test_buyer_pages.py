"""Buyer pages built on the design system: the product gallery, breadcrumbs on product and
search pages, the listing card (picture or fallback, compare-at price)."""

from __future__ import annotations

import pytest

from marketplace.models import Category, Listing
from marketplace.services import listing_apply
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing, payload

pytestmark = pytest.mark.django_db

PICTURES = [
    {"url": "http://shop.marketplace.localhost/media/v_shop/front.jpg",
     "thumbnail_url": "http://shop.marketplace.localhost/media/v_shop/front-t.jpg", "alt": "The front"},
    {"url": "http://shop.marketplace.localhost/media/v_shop/back.jpg", "thumbnail_url": "", "alt": ""},
]


@pytest.fixture
def tree(db):
    root = Category.objects.create(name="Kitchen", slug="kitchen", path="kitchen")
    mugs = Category.objects.create(name="Mugs", slug="mugs", path="kitchen/mugs", parent=root, depth=1)
    vendor = VendorFactory(slug="potter", name="Potter & Co")
    return {"root": root, "mugs": mugs, "vendor": vendor}


def _listing_with_pictures(vendor, category, pictures):
    data = payload("Stoneware mug", category_id=category.pk)
    data.update(images=pictures, image_url=pictures[0]["url"] if pictures else "")
    listing_apply(vendor=vendor, product_id=900_001, version=1, payload=data)
    return Listing.objects.get(vendor=vendor, product_id=900_001)


def test_product_gallery_with_thumbnails(platform_client, tree):
    listing = _listing_with_pictures(tree["vendor"], tree["mugs"], PICTURES)
    assert listing.images == PICTURES
    html = platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert '<img class="gallery-main" src="http://shop.marketplace.localhost/media/v_shop/front.jpg" alt="The front"' in html
    assert html.count("data-gallery-src=") == 2
    assert 'src="http://shop.marketplace.localhost/media/v_shop/front-t.jpg" alt="Picture 1 of 2"' in html
    # The second picture has no thumbnail: the picture itself stands in; its alt falls back to the title.
    assert 'data-gallery-alt="Stoneware mug"' in html and 'alt="Picture 2 of 2"' in html


def test_one_picture_has_no_thumbnail_strip(platform_client, tree):
    listing = _listing_with_pictures(tree["vendor"], tree["mugs"], PICTURES[:1])
    html = platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert "gallery-main" in html and "data-gallery-src=" not in html


def test_product_without_pictures_shows_the_fallback(platform_client, tree):
    listing = _listing_with_pictures(tree["vendor"], tree["mugs"], [])
    html = platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert "gallery-main" not in html and 'aria-label="No photo yet"' in html


def test_an_event_from_before_galleries_gives_a_gallery_of_its_one_picture(tree):
    data = payload("Old mug", category_id=tree["mugs"].pk)
    data.update(image_url="http://x.test/a.jpg", thumbnail_url="http://x.test/a-t.jpg")
    listing_apply(vendor=tree["vendor"], product_id=900_002, version=1, payload=data)
    listing = Listing.objects.get(vendor=tree["vendor"], product_id=900_002)
    assert listing.images == [{"url": "http://x.test/a.jpg", "thumbnail_url": "http://x.test/a-t.jpg", "alt": ""}]


def test_product_breadcrumb_is_the_category_path_then_the_product(platform_client, tree):
    listing = make_listing(tree["vendor"], "Tall mug", category_id=tree["mugs"].pk)
    html = platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    crumbs = html[html.index('class="breadcrumb"'):html.index("</ol>")]
    assert crumbs.index('href="/c/kitchen/"') < crumbs.index('href="/c/kitchen/mugs/"') < crumbs.index("Tall mug")
    assert 'aria-current="page">Tall mug<' in crumbs


def test_search_breadcrumb_follows_the_category_filter(platform_client, tree):
    make_listing(tree["vendor"], "Tall mug", category_id=tree["mugs"].pk)
    html = platform_client.get("/search/?q=mug&category=kitchen/mugs").content.decode()
    crumbs = html[html.index('class="breadcrumb"'):html.index("</ol>")]
    assert 'href="/c/kitchen/"' in crumbs and 'href="/c/kitchen/mugs/"' in crumbs
    plain = platform_client.get("/search/?q=mug").content.decode()
    crumbs = plain[plain.index('class="breadcrumb"'):plain.index("</ol>")]
    assert "/c/kitchen/" not in crumbs and 'aria-current="page">Search<' in crumbs


def test_listing_card_shows_fallback_picture_and_compare_at(platform_client, tree):
    data = payload("Discounted mug", price=1500, category_id=tree["mugs"].pk)
    data["compare_at_amount"] = 2000
    listing_apply(vendor=tree["vendor"], product_id=900_003, version=1, payload=data)
    html = platform_client.get("/search/?q=discounted").content.decode()
    card = html[html.index('class="card h-100 listing-card"'):]
    card = card[:card.index("</article>")]
    assert "listing-picture-fallback" in card and "Potter &amp; Co" in card
    assert '<s class="listing-price-was"><span class="visually-hidden">was </span>20.00 EUR</s>' in card
    assert "15.00 EUR" in card
