"""Marketplace pages and the public API: home, search (htmx and plain), categories, product pages."""

from __future__ import annotations

import pytest

from marketplace.models import Category
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    root = Category.objects.create(name="Garden", slug="garden", path="garden")
    tools = Category.objects.create(name="Tools", slug="tools", path="garden/tools", parent=root, depth=1)
    vendor = VendorFactory(slug="greenco", name="Green Co", description="Garden things")
    listings = [make_listing(vendor, f"Spade {n}", price=1000 + n * 100, category_id=tools.pk,
                             attributes={"material": "steel"}) for n in range(30)]
    make_listing(vendor, "Hidden Rake", status="draft", category_id=tools.pk)
    return {"root": root, "tools": tools, "vendor": vendor, "listings": listings}


def test_home_shows_categories_and_featured_listings(platform_client, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = platform_client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/c/garden/"' in body and "Spade 29" in body and "Hidden Rake" not in body


def test_home_empty_state(platform_client):
    assert "No products are listed yet." in platform_client.get("/").content.decode()


def test_search_page_full_and_htmx_partial_with_keyset_next_link(platform_client, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        page = platform_client.get("/search/?q=spade&sort=price_asc")
    body = page.content.decode()
    assert page.status_code == 200 and "<html" in body and 'data-total="30"' in body
    assert "Spade 0" in body and "Spade 29" not in body and 'rel="next"' in body
    partial = platform_client.get("/search/?q=spade&sort=price_asc", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Spade 0" in partial.content.decode()
    # The heading naming the query is swapped out of band with the results.
    assert '<h1 id="search-heading" class="h3 mb-3" hx-swap-oob="true">Results for “spade”</h1>' in (
        partial.content.decode())
    assert 'hx-swap-oob' not in body and '<h1 id="search-heading"' in body
    next_url = body.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = platform_client.get(f"/search/{next_url}").content.decode()
    assert "Spade 24" in second and "Spade 0<" not in second


@pytest.mark.parametrize("query", ["%27%3B+DROP+TABLE+x%3B--", "a%26%7C%21%28%29%3A%2A", "x" * 10_000,
                                   "%00", "price_min=-5", "&price_min=abc&sort=zzz&cursor=!!"])
def test_search_page_never_fails_on_weird_input(platform_client, shop, query):
    response = platform_client.get(f"/search/?q={query}")
    assert response.status_code == 200


def test_search_api_returns_results_facets_and_rejects_bad_params(platform_client, shop):
    data = platform_client.get("/api/v1/listings/?category=garden&limit=5&sort=price_desc").json()
    assert data["count"] == 30 and len(data["results"]) == 5 and data["next_cursor"]
    assert data["results"][0]["title"] == "Spade 29"
    assert data["count_capped"] is False and data["corrected_q"] == ""
    assert data["facets"]["category"] == [
        {"value": "garden/tools", "label": "Tools", "count": 30, "selected": False, "capped": False}]
    nxt = platform_client.get(f"/api/v1/listings/?category=garden&limit=5&sort=price_desc&cursor={data['next_cursor']}").json()
    assert nxt["results"][0]["title"] == "Spade 24"
    bad = platform_client.get("/api/v1/listings/?price_min=1.234&sort=evil")
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"price_min", "sort"}
    weird = platform_client.get("/api/v1/listings/", {"q": "'\"\\:*&|!<->" * 1000})
    assert weird.status_code == 200


def test_listing_api_and_category_api(platform_client, shop):
    listing = shop["listings"][0]
    detail = platform_client.get(f"/api/v1/listings/{listing.pk}/").json()
    assert detail["vendor"] == {"id": listing.vendor_id, "slug": "greenco", "name": "Green Co"} and detail["variants"][0]["price_amount"] == 1000
    assert platform_client.get("/api/v1/listings/999999/").status_code == 404
    tree = platform_client.get("/api/v1/categories/").json()["results"]
    assert tree[0]["path"] == "garden" and tree[0]["children"][0]["path"] == "garden/tools"


def test_category_page_with_breadcrumb_and_subtree(platform_client, shop, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = platform_client.get("/c/garden/tools/")
    body = response.content.decode()
    assert response.status_code == 200 and "Spade 29" in body and 'href="/c/garden/"' in body
    assert platform_client.get("/c/garden/").status_code == 200
    assert platform_client.get("/c/nope/").status_code == 404


def test_product_page_shows_variants_vendor_card_and_more_from_vendor(platform_client, shop, django_assert_max_num_queries):
    listing = shop["listings"][0]
    assert platform_client.get(f"/p/{listing.pk}/").status_code == 301
    # Two of them read the recommendation rows (bought together, similar items; ADR 0095), one the
    # day's exchange rates for the prices in the buyer's currency (ADR 0096).
    with django_assert_max_num_queries(12):
        response = platform_client.get(f"/p/{listing.pk}/{listing.handle}/")
    body = response.content.decode()
    assert response.status_code == 200 and "Green Co" in body and "greenco.marketplace.localhost" in body
    assert "More from Green Co" in body and "Spade 29" in body
    assert "10.00" in body and "EUR" in body


def test_hidden_and_unknown_products_are_404(platform_client, shop):
    from marketplace.models import Listing

    draft = Listing.objects.get(title="Hidden Rake")
    assert platform_client.get(f"/p/{draft.pk}/{draft.handle}/").status_code == 404
    assert platform_client.get("/p/987654/x/").status_code == 404


def _hrefs(body: str, facet: str) -> list[str]:
    section = body.split(f'data-facet="{facet}"', 1)[1].split("</ul>", 1)[0]
    return [part.split('"', 1)[0].replace("&amp;", "&") for part in section.split('href="')[1:]]


def test_result_links_carry_each_filter_once_and_keep_them_on_the_first_page(platform_client, shop):
    # A query string with a parameter twice (as an old bookmark may have) gives links with it once,
    # holding the value Django reads (the last); the page cursor never leaks into a filter link.
    body = platform_client.get(
        "/search/?q=rake&q=spade&vendor=greenco&sort=price_asc&cursor=abc&attr=material:steel").content.decode()
    (vendor_link,) = _hrefs(body, "vendor")
    assert vendor_link.count("q=") == 1 and "q=spade" in vendor_link and "cursor" not in vendor_link
    assert "vendor=" not in vendor_link  # the selected store's link removes it
    assert "attr=material%3Asteel" in vendor_link and "sort=price_asc" in vendor_link
    assert ">First page<" not in body  # an unreadable cursor starts at the first page
    next_url = body.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = platform_client.get(f"/search/{next_url}").content.decode()
    first_page = second.split(">First page<", 1)[0].rsplit('href="', 1)[1]
    first_page = first_page.split('"', 1)[0].replace("&amp;", "&")
    assert first_page.startswith("?") and "cursor" not in first_page
    assert "vendor=greenco" in first_page and "attr=material%3Asteel" in first_page
    assert "Spade 0<" in platform_client.get(f"/search/{first_page}").content.decode()


def test_search_form_submits_to_the_bare_path_and_htmx_refreshes_its_filters(platform_client, shop):
    body = platform_client.get("/search/?q=spade&vendor=greenco").content.decode()
    # hx-get="" would resend the current query string with the form's fields appended again.
    assert 'hx-get="/search/" hx-target="#results"' in body
    assert '<div id="search-area" hx-sync="this:replace">' in body
    assert '<input type="hidden" name="vendor" value="greenco">' in body
    # After a facet link is followed by htmx, the form's hidden filters are replaced out of band,
    # so the next sort or price change keeps the store chosen by the link (and drops a removed one).
    partial = platform_client.get("/search/?q=spade", HTTP_HX_REQUEST="true").content.decode()
    filters = partial.split('<div id="search-filters"', 1)[1].split("</div>", 1)[0]
    assert 'hx-swap-oob="true"' in filters and 'name="vendor"' not in filters
    chosen = platform_client.get("/search/?q=spade&vendor=greenco", HTTP_HX_REQUEST="true").content.decode()
    assert '<input type="hidden" name="vendor" value="greenco">' in chosen.split('<div id="search-filters"', 1)[1]


def test_category_page_facets_lead_to_sub_category_pages(platform_client, shop):
    body = platform_client.get("/c/garden/?sort=price_desc").content.decode()
    assert _hrefs(body, "category") == ["/c/garden/tools/?sort=price_desc"]
    assert 'hx-get="/c/garden/" hx-target="#results"' in body
    # The page's own category is in its path, not repeated as a parameter on other links.
    assert "category=" not in "".join(_hrefs(body, "vendor"))
    partial = platform_client.get("/c/garden/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Spade 29" in partial
    assert 'id="search-filters" hidden hx-swap-oob="true"' in partial and 'id="search-heading"' not in partial


def test_cached_facets_speak_the_language_of_each_request(platform_client, shop):
    # Facet counts are cached; their translated labels must not leak from one language to another.
    english = platform_client.get("/api/v1/listings/?q=spade", HTTP_ACCEPT_LANGUAGE="en").json()
    german = platform_client.get("/api/v1/listings/?q=spade", HTTP_ACCEPT_LANGUAGE="de").json()
    assert english["facets"]["in_stock"][0]["label"] == "In stock"
    assert german["facets"]["in_stock"][0]["label"] == "Auf Lager"
    assert english["count"] == german["count"] == 30
