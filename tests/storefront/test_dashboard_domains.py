"""The dashboard's custom domains page (ADR 0092): add a name (bad input is a form error and
saves nothing), verify it with htmx, remove it; another vendor's dashboard cannot touch it."""

from __future__ import annotations

import pytest

from tenants import domains
from tenants.models import CustomDomain, Domain

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/storefront/domains/"


def test_owner_adds_a_domain_and_sees_both_proofs(client_for, vendor_a, owner_a):
    client = client_for(vendor_a, owner_a)
    response = client.post(PAGE, {"domain": "Shop-A.localhost"}, follow=True)
    assert response.status_code == 200
    claim = CustomDomain.objects.get(store=vendor_a.store)
    body = response.content.decode()
    assert "shop-a.localhost added" in body
    assert "_marketplace-challenge.shop-a.localhost" in body
    assert f"marketplace-domain-verification={claim.token}" in body
    assert f"/.well-known/marketplace-domain-verification/{claim.token}" in body


@pytest.mark.parametrize(("value", "message"), [
    ("203.0.113.9", "An IP address cannot be a store"),
    ("https://shop.example.com", "no http://"),
    ("not a domain", "is not a valid domain name"),
    ("beta.marketplace.localhost", "belongs to the platform"),
])
def test_bad_names_are_form_errors_and_nothing_is_saved(client_for, vendor_a, owner_a, value, message):
    response = client_for(vendor_a, owner_a).post(PAGE, {"domain": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CustomDomain.objects.exists()


def test_a_name_another_vendor_has_verified_is_a_form_error(client_for, vendor_a, vendor_b, owner_b, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    response = client_for(vendor_b, owner_b).post(PAGE, {"domain": "shop-a.localhost"})
    assert response.status_code == 400
    assert "already in use by another store" in response.content.decode()
    assert not CustomDomain.objects.filter(store=vendor_b.store).exists()


def test_verify_with_htmx_swaps_the_row_with_the_reason_then_the_verified_state(
        client_for, vendor_a, owner_a, dns_zone):
    client = client_for(vendor_a, owner_a)
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    url = f"{PAGE}{claim.pk}/verify/"

    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert 'role="alert"' in refused.content.decode() and "There is no TXT record" in refused.content.decode()
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()

    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    verified = client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="domain-{claim.pk}"' in verified and "Verified by DNS TXT record" in verified
    assert 'href="http://shop-a.localhost/"' in verified
    assert Domain.objects.get(domain="shop-a.localhost").tenant_id == vendor_a.store.pk


def test_remove_stops_routing(client_for, vendor_a, owner_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    response = client_for(vendor_a, owner_a).post(f"{PAGE}{claim.pk}/remove/", follow=True)
    assert "shop-a.localhost removed" in response.content.decode()
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()
    assert client_for("shop-a.localhost").get("/").status_code == 404


def test_another_vendor_cannot_see_verify_or_remove_a_domain(client_for, vendor_a, vendor_b, owner_a, owner_b, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    b_client = client_for(vendor_b, owner_b)
    assert "shop-a.localhost" not in b_client.get(PAGE).content.decode()
    assert b_client.post(f"{PAGE}{claim.pk}/verify/").status_code == 404
    assert b_client.post(f"{PAGE}{claim.pk}/remove/").status_code == 404
    # Vendor A's owner, on vendor B's host, is not B's member: refused too.
    assert client_for(vendor_b, owner_a).post(f"{PAGE}{claim.pk}/remove/").status_code in (302, 403, 404)
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_only_the_owner_manages_domains(client_for, vendor_a):
    from tests.factories import UserFactory
    from vendors.models import Membership

    staff = UserFactory(email="staff@alpha.example.com")
    Membership.objects.create(vendor=vendor_a, user=staff, role="manager")
    assert client_for(vendor_a, staff).get(PAGE).status_code == 403
    assert client_for(vendor_a, staff).post(PAGE, {"domain": "shop.example.com"}).status_code == 403
    assert not CustomDomain.objects.exists()
