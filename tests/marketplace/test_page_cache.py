"""Cached anonymous reads (ADR 0065): home, search, category and product pages and the public
listings API, per host and language, invalidated by the listing projection; conditional GET."""

from __future__ import annotations

from typing import Any

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from common.page_cache import CSRF_PLACEHOLDER
from marketplace.models import Category
from tests.conftest import PLATFORM_HOST
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing, payload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings: Any) -> None:
    settings.PAGE_CACHE_SECONDS = 300  # off in the rest of the suite (test settings)


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    from marketplace.services import listing_apply  # noqa: F401  # make_listing's writer

    root = Category.objects.create(name="Garden", slug="garden", path="garden")
    vendor = VendorFactory(slug="greenco", name="Green Co")
    listing = make_listing(vendor, "Spade Classic", price=1500, category_id=root.pk, product_id=501)
    return {"root": root, "vendor": vendor, "listing": listing}


def _client(**headers: str) -> Client:
    return Client(HTTP_HOST=PLATFORM_HOST, **headers)


def _product_url(listing: Any) -> str:
    return f"/p/{listing.pk}/{listing.handle}/"


def _retitle(shop: dict[str, Any], title: str, version: int) -> None:
    from marketplace.services import listing_apply

    listing_apply(vendor=shop["vendor"], product_id=501, version=version,
                  payload=payload(title, price=1500, category_id=shop["root"].pk))


def test_a_listing_change_shows_on_the_next_request(platform_client: Any, shop: dict[str, Any]) -> None:
    url = _product_url(shop["listing"])
    assert "Spade Classic" in _client().get(url).content.decode()
    _retitle(shop, "Spade Deluxe", version=2)
    for path in (url.replace("spade-classic", "spade-deluxe"), "/", "/search/?q=spade", "/c/garden/"):
        body = _client().get(path, follow=True).content.decode()
        assert "Spade Deluxe" in body and "Spade Classic" not in body, path
    api = _client().get("/api/v1/listings/?q=spade").json()
    assert [row["title"] for row in api["results"]] == ["Spade Deluxe"]


def test_a_cache_hit_renders_nothing_and_queries_nothing(platform_client: Any, shop: dict[str, Any],
                                                         django_assert_max_num_queries: Any) -> None:
    first = _client().get("/search/?q=spade").content
    # The host's tenant (django-tenants: SET search_path, the domain lookup), nothing else.
    with django_assert_max_num_queries(2):
        again = _client().get("/search/?q=spade")
    assert again.status_code == 200
    # Its own token (masked from the secret in its cookie) is in the page, not the placeholder.
    token = again.content.decode().split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    assert _unmask_cipher_token(token) == again.cookies["csrftoken"].value
    assert CSRF_PLACEHOLDER.encode() not in again.content + first
    api_urls = ["/api/v1/listings/?q=spade", f"/api/v1/listings/{shop['listing'].pk}/"]
    warm = [_client().get(url).json() for url in api_urls]
    with django_assert_max_num_queries(4):  # two requests: the tenant of each
        assert [_client().get(url).json() for url in api_urls] == warm


def test_each_language_gets_its_own_page(platform_client: Any, shop: dict[str, Any]) -> None:
    english = _client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    german = _client(HTTP_ACCEPT_LANGUAGE="de").get("/")
    assert english["Content-Language"] == "en" and german["Content-Language"] == "de"
    assert '<html lang="de"' in german.content.decode() and '<html lang="en"' in english.content.decode()
    # Match the <html> element: every page also links its alternates (`hreflang="de"`, SEO branch),
    # which contain the bare `lang="de"` in any language.
    again = _client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert '<html lang="en"' in again and '<html lang="de"' not in again


def test_another_host_never_gets_the_cached_page(platform_client: Any, shop: dict[str, Any],
                                                 vendor_a: Any, vendor_b: Any) -> None:
    platform_home = _client().get("/").content.decode()
    assert "Spade Classic" in platform_home
    for vendor, other in ((vendor_a, vendor_b), (vendor_b, vendor_a)):
        body = Client(HTTP_HOST=vendor.host).get("/").content.decode()
        assert vendor.name in body and other.name not in body
        assert "Spade Classic" not in body  # not the platform's cached home either


def test_a_visitor_with_a_session_is_never_served_the_shared_page(platform_client: Any, shop: dict[str, Any],
                                                                    django_user_model: Any) -> None:
    anonymous = _client().get("/").content.decode()
    user = django_user_model.objects.create_user(email="reader@example.com", password="x-long-pass-1234")
    signed_in = _client()
    signed_in.force_login(user)
    assert "reader@example.com" in signed_in.get("/").content.decode()
    assert "reader@example.com" not in _client().get("/").content.decode()
    assert "reader@example.com" not in anonymous


def test_every_visitor_gets_a_working_csrf_token_of_their_own(platform_client: Any, shop: dict[str, Any]) -> None:
    tokens = []
    for _ in range(2):
        client = Client(HTTP_HOST=PLATFORM_HOST, enforce_csrf_checks=True)
        page = client.get("/").content.decode()
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        tokens.append(client.cookies["csrftoken"].value)
        # The language form of the cached page posts with the token it carries.
        response = client.post("/i18n/setlang/", {"language": "de", "next": "/", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
    assert tokens[0] != tokens[1]


def test_conditional_get_answers_304_until_the_projection_changes(platform_client: Any, shop: dict[str, Any]) -> None:
    client = _client()
    url = _product_url(shop["listing"])
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and first["Cache-Control"] == "no-cache"
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    _retitle(shop, "Spade Deluxe", version=2)
    fresh = client.get(url.replace("spade-classic", "spade-deluxe"))
    assert fresh.status_code == 200 and "Spade Deluxe" in fresh.content.decode()
    changed = client.get(url.replace("spade-classic", "spade-deluxe"), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_visitor_without_the_csrf_cookie_gets_the_page_not_a_304(platform_client: Any, shop: dict[str, Any]) -> None:
    """A 304 would leave them a page whose token was made for a cookie they no longer hold."""
    etag = _client().get("/")["ETag"]
    assert _client().get("/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_api_answers_304_to_a_current_copy(platform_client: Any, shop: dict[str, Any]) -> None:
    first = _client().get("/api/v1/listings/?q=spade")
    assert first.status_code == 200 and first["ETag"]
    assert _client().get("/api/v1/listings/?q=spade", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    _retitle(shop, "Spade Deluxe", version=2)
    assert _client().get("/api/v1/listings/?q=spade", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_vendors_listing_is_never_served_from_another_vendors_entry(platform_client: Any, shop: dict[str, Any]) -> None:
    other = VendorFactory(slug="rakeco", name="Rake Co")
    rake = make_listing(other, "Rake Prime", price=900, product_id=501)  # same product id, other vendor
    assert "Spade Classic" in _client().get(_product_url(shop["listing"])).content.decode()
    body = _client().get(_product_url(rake)).content.decode()
    assert "Rake Prime" in body and "Spade Classic" not in body
    detail = _client().get(f"/api/v1/listings/{rake.pk}/").json()
    assert detail["title"] == "Rake Prime" and detail["vendor"]["slug"] == "rakeco"
