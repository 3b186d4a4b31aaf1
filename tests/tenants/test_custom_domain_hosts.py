"""Requests on custom vendor domains (ADR 0092): only verified names are admitted as hosts, they
serve their own store's storefront and nothing of another store's, sign-in and the dashboard stay
on the platform's host, and the TLS proxy's `ask` endpoint answers for verified names only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context

from catalog.models import Product
from tenants import domains
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_a(vendor_a, dns_zone):
    """`shop-a.localhost`, verified for vendor A."""
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    return domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)


def _product(vendor, name: str) -> Product:
    """A product in the vendor's schema and its marketplace listing (the storefront's product page
    reads both)."""
    variant = sellable_variant(vendor, price=2500, name=name)
    with schema_context(vendor.store.schema_name):
        product = Product.objects.get(pk=variant.product_id)
    listing = make_listing(vendor, name, product_id=product.pk, price=2500)
    listing.variants = [{**listing.variants[0], "id": variant.pk, "sku": variant.sku}]
    listing.handle = product.handle
    listing.save(update_fields=["variants", "handle"])
    return product


def test_a_verified_domain_serves_its_stores_storefront_and_nothing_of_another_store(
        shop_a, client_for, vendor_a, vendor_b):
    mine = _product(vendor_a, "Alpine Rope")
    theirs = _product(vendor_b, "Bravo Secret Kettle")
    client = client_for("shop-a.localhost")

    home = client.get("/")

    assert home.status_code == 200
    body = home.content.decode()
    assert "Alpine Rope" in body and "Bravo Secret Kettle" not in body
    page = client.get(f"/products/{mine.pk}/{mine.handle}/")
    assert page.status_code == 200 and "Alpine Rope" in page.content.decode()
    # Ids are per schema (B's product id may be one of A's too): whatever answers is never B's.
    other = client.get(f"/products/{theirs.pk}/{theirs.handle}/", follow=True)
    assert "Bravo Secret Kettle" not in other.content.decode()
    # Vendor B's own host still shows B's products only.
    assert "Alpine Rope" not in client_for(vendor_b).get("/").content.decode()


def test_unknown_hosts_are_still_refused_as_before(client_for, db):
    # Outside ALLOWED_HOSTS: django-tenants answers Django's DisallowedHost with an empty 404.
    for host in ("shop-a.localhost", "evil.example.com", "evil.example.com:8000"):
        response = client_for(host).get("/")
        assert (response.status_code, response.content) == (404, b""), host
    # A platform subdomain no store has: no tenant for it, 404.
    assert client_for("nobody.marketplace.localhost").get("/").status_code == 404


def test_a_pending_claim_is_not_a_host(client_for, vendor_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    assert claim.status == "pending"
    assert client_for("shop-a.localhost").get("/").status_code == 404


def test_a_removed_domain_is_refused_again(shop_a, client_for, vendor_a):
    client = client_for("shop-a.localhost")
    assert client.get("/").status_code == 200
    domains.custom_domain_remove(store=vendor_a.store, domain_id=shop_a.pk)
    assert client.get("/").status_code == 404


def test_sign_in_and_the_dashboard_move_to_the_stores_platform_host(shop_a, client_for, owner_a, owner_b):
    client = client_for("shop-a.localhost:8000")
    for path in ("/dashboard/", "/dashboard/products/?page=2", "/accounts/login/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"http://alpha.marketplace.localhost:8000{path}"
    # Even with a session of vendor B's owner, A's domain opens no dashboard, A's nor B's.
    signed_in_b = client_for("shop-a.localhost", owner_b)
    response = signed_in_b.get("/dashboard/")
    assert response.status_code == 302 and urlsplit(response["Location"]).hostname == "alpha.marketplace.localhost"
    posted = client_for("shop-a.localhost", owner_a).post("/dashboard/storefront/", {"name": "Hijacked"})
    assert posted.status_code == 302 and urlsplit(posted["Location"]).hostname == "alpha.marketplace.localhost"


def test_the_apis_answer_on_platform_hosts_only(shop_a, client_for, owner_a):
    response = client_for("shop-a.localhost", owner_a).get("/api/v1/vendor/products/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "platform_host_only"
    assert "alpha.marketplace.localhost" in response.json()["error"]["message"]


def test_session_cookies_are_host_only_so_they_never_cross_to_a_custom_domain(client_for, vendor_a, owner_a, settings):
    assert settings.SESSION_COOKIE_DOMAIN is None and settings.CSRF_COOKIE_DOMAIN is None
    client = client_for(vendor_a)
    response = client.post("/accounts/login/", {"login": owner_a.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and cookie["domain"] == ""  # no Domain attribute: this host only


def test_the_storefront_on_a_custom_domain_hands_add_to_cart_to_the_platform(shop_a, client_for, vendor_a):
    variant = sellable_variant(vendor_a, price=1800, name="Bivvy Bag")
    client = client_for("shop-a.localhost")
    client.get("/")  # the CSRF cookie of this host
    handed = client.post("/cart/add/", {"variant_id": variant.pk, "quantity": "1"})
    assert handed.status_code == 303
    target = urlsplit(handed["Location"])
    assert (target.hostname, target.path) == ("marketplace.localhost", "/cart/add/from-store/")


@pytest.mark.parametrize("host", ["marketplace.localhost", "localhost:8000"])
def test_the_tls_ask_endpoint_answers_200_for_verified_domains_only(shop_a, client_for, vendor_a, host):
    client = client_for(host)
    assert client.get("/internal/tls/ask", {"domain": "shop-a.localhost"}).status_code == 200
    assert client.get("/internal/tls/ask", {"domain": "SHOP-A.localhost."}).status_code == 200
    pending = domains.custom_domain_add(store=vendor_a.store, domain="pending.example.com")
    for name in (pending.domain, "unknown.example.com", "alpha.marketplace.localhost", "marketplace.localhost", ""):
        assert client.get("/internal/tls/ask", {"domain": name}).status_code == 404, name
    domains.custom_domain_remove(store=vendor_a.store, domain_id=shop_a.pk)
    assert client.get("/internal/tls/ask", {"domain": "shop-a.localhost"}).status_code == 404


def test_another_stores_media_is_not_served_on_a_custom_domain(shop_a, client_for, vendor_b, settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    with schema_context(vendor_b.store.schema_name):
        name = default_storage.save("secret.txt", ContentFile(b"bravo only"))
    schema_b = vendor_b.store.schema_name
    assert client_for(vendor_b).get(f"/media/{schema_b}/{name}").status_code == 200  # B's own host serves it
    assert client_for("shop-a.localhost").get(f"/media/{schema_b}/{name}").status_code == 404


def test_a_www_name_is_routed_by_its_whole_name(client_for, vendor_a, dns_zone):
    # django-tenants drops a leading "www." before its lookup; the proven name is the www one.
    claim = domains.custom_domain_add(store=vendor_a.store, domain="www.shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    _product(vendor_a, "Alpine Rope")
    response = client_for("www.shop-a.localhost").get("/")
    assert response.status_code == 200 and "Alpine Rope" in response.content.decode()
    assert client_for("shop-a.localhost").get("/").status_code == 404  # the bare name was not proven
