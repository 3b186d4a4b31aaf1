"""The vendor API of custom domains (ADR 0092): add, verify, remove; bad input is a 4xx in the
API's error format with nothing saved; another vendor's owner cannot reach a domain."""

from __future__ import annotations

import pytest

from tenants import domains
from tenants.models import CustomDomain, Domain

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/domains/"


def test_owner_adds_verifies_and_removes_a_domain(client_for, vendor_a, owner_a, dns_zone):
    client = client_for(vendor_a, owner_a)
    created = client.post(URL, {"domain": "Shop-A.localhost"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["domain"], body["status"]) == ("shop-a.localhost", "pending")
    assert body["txt_name"] == "_marketplace-challenge.shop-a.localhost"
    assert body["txt_value"] == f"marketplace-domain-verification={body['token']}"

    refused = client.post(f"{URL}{body['id']}/verify/")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "domain_not_verified"
    assert "There is no TXT record" in refused.json()["error"]["message"]

    dns_zone.txt(body["txt_name"], body["txt_value"])
    verified = client.post(f"{URL}{body['id']}/verify/")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert verified.json()["verified_by"] == "dns"
    assert [item["domain"] for item in client.get(URL).json()] == ["shop-a.localhost"]

    assert client.delete(f"{URL}{body['id']}/").status_code == 204
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()
    assert client.get(URL).json() == []


@pytest.mark.parametrize(("value", "status", "code"), [
    ("203.0.113.9", 400, "domain_ip_address"),
    ("not a domain", 400, "invalid_domain"),
    ("marketplace.localhost", 409, "domain_platform"),
    ("bravo.marketplace.localhost", 409, "domain_platform"),
])
def test_bad_names_are_4xx_in_the_error_format_and_nothing_is_saved(client_for, vendor_a, owner_a, value, status,
                                                                   code):
    response = client_for(vendor_a, owner_a).post(URL, {"domain": value}, content_type="application/json")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and "domain" in error["fields"]
    assert not CustomDomain.objects.exists()


def test_a_missing_domain_field_is_a_400(client_for, vendor_a, owner_a):
    response = client_for(vendor_a, owner_a).post(URL, {}, content_type="application/json")
    assert response.status_code == 400 and "domain" in response.json()["error"]["fields"]


def test_another_vendors_owner_cannot_list_verify_or_remove(client_for, vendor_a, vendor_b, owner_b, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    steps = domains.instructions_for(claim)
    dns_zone.txt(steps.txt_name, steps.txt_value)
    b = client_for(vendor_b, owner_b)
    assert b.get(URL).json() == []
    assert b.post(f"{URL}{claim.pk}/verify/").status_code == 404
    assert b.delete(f"{URL}{claim.pk}/").status_code == 404
    claim.refresh_from_db()
    assert claim.status == "pending" and not Domain.objects.filter(domain="shop-a.localhost").exists()
    # Nor through vendor A's host without being A's member.
    assert client_for(vendor_a, owner_b).get(URL).status_code == 403
