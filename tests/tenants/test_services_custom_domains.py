"""Custom vendor domains (ADR 0092): claiming a name, proving it by a DNS TXT record (the real
dnspython resolver asking a DNS server the test runs) or by an HTTP file, routing and removal."""

from __future__ import annotations

import pytest

from common.exceptions import Conflict, NotFound
from tenants import domains
from tenants.dns import DnsPythonResolver
from tenants.errors import DnsUnavailable, DomainNotVerified, DomainTaken, InvalidDomain
from tenants.models import CustomDomain, Domain

pytestmark = pytest.mark.django_db


def publish_txt(zone, claim: CustomDomain) -> None:
    steps = domains.instructions_for(claim)
    zone.txt(steps.txt_name, steps.txt_value)


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "name"), [
    ("Shop.Example.COM.", "shop.example.com"),
    ("  shop-a.localhost ", "shop-a.localhost"),
    ("bücher.example", "xn--bcher-kva.example"),
])
def test_names_are_normalised(raw, name):
    assert domains.domain_normalize(raw) == name


@pytest.mark.parametrize(("raw", "code", "words"), [
    ("", "invalid_domain", "Enter a domain name"),
    ("https://shop.example.com/", "invalid_domain", "no http://"),
    ("shop.example.com/path", "invalid_domain", "no http://"),
    ("owner@example.com", "invalid_domain", "no http://"),
    ("203.0.113.7", "domain_ip_address", "An IP address"),
    ("[2001:db8::1]", "domain_ip_address", "An IP address"),
    ("localhostonly", "invalid_domain", "not a valid domain name"),
    ("*.example.com", "invalid_domain", "not a valid domain name"),
    ("shop_a.example.com", "invalid_domain", "not a valid domain name"),
    ("-shop.example.com", "invalid_domain", "not a valid domain name"),
    ("shop..example.com", "invalid_domain", "not a valid domain name"),
    ("1.2.3", "invalid_domain", "not a valid domain name"),
    ("a" * 64 + ".example.com", "invalid_domain", "not a valid domain name"),
    (("abcdefghi." * 26) + "com", "invalid_domain", "not a valid domain name"),
])
def test_malformed_names_ip_addresses_and_urls_are_refused_with_a_reason(raw, code, words):
    with pytest.raises(InvalidDomain) as caught:
        domains.domain_normalize(raw)
    assert caught.value.code == code and words in caught.value.message
    assert caught.value.fields == {"domain": [caught.value.fields["domain"][0]]}


@pytest.mark.parametrize("raw", ["marketplace.localhost", "alpha.marketplace.localhost",
                                 "new-shop.marketplace.localhost", "testserver.local"])
def test_platform_names_cannot_be_claimed(vendor_a, raw, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver.local"]
    with pytest.raises(DomainTaken) as caught:
        domains.custom_domain_add(store=vendor_a.store, domain=raw)
    assert caught.value.code == "domain_platform"
    assert not CustomDomain.objects.exists()


# --- claiming and proving -----------------------------------------------------------------------


def test_dns_txt_record_proves_the_name_and_routes_it_to_the_store(vendor_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="Shop-A.localhost")
    assert (claim.domain, claim.status, len(claim.token)) == ("shop-a.localhost", "pending", 32)
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()  # not routed before proof
    publish_txt(dns_zone, claim)

    verified = domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)

    assert (verified.status, verified.verified_by, verified.verified_at is not None) == ("verified", "dns", True)
    route = Domain.objects.get(domain="shop-a.localhost")
    assert route.tenant_id == vendor_a.store.pk and route.is_primary is False
    assert domains.custom_domain_routed("SHOP-A.localhost") == verified
    # The platform host stays the store's primary one (links, emails, the dashboard).
    assert Domain.objects.get(tenant=vendor_a.store, is_primary=True).domain == vendor_a.host


def test_a_txt_record_that_does_not_match_keeps_the_claim_pending_with_what_was_found(vendor_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    dns_zone.txt(domains.instructions_for(claim).txt_name, "marketplace-domain-verification=someone-elses-token")

    with pytest.raises(DomainNotVerified) as caught:
        domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)

    assert "someone-elses-token" in caught.value.message and claim.token in caught.value.message
    claim.refresh_from_db()
    assert claim.status == "pending" and "someone-elses-token" in claim.last_check_error
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()


def test_no_record_at_all_says_where_the_record_belongs(vendor_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    with pytest.raises(DomainNotVerified) as caught:
        domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    assert "There is no TXT record at _marketplace-challenge.shop-a.localhost" in caught.value.message
    assert "No public address answers for shop-a.localhost" in caught.value.message


def test_a_file_on_the_vendors_web_server_proves_the_name(vendor_a, dns_zone, vendor_site):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    dns_zone.address("shop-a.localhost", "127.0.0.1")
    steps = domains.instructions_for(claim)
    vendor_site.files[steps.http_path] = claim.token + "\n"

    verified = domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)

    assert (verified.status, verified.verified_by) == ("verified", "http")
    assert vendor_site.requests == [("shop-a.localhost", f"/.well-known/marketplace-domain-verification/{claim.token}")]
    assert Domain.objects.get(domain="shop-a.localhost").tenant_id == vendor_a.store.pk


def test_a_file_with_another_content_does_not_prove_the_name(vendor_a, dns_zone, vendor_site):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    dns_zone.address("shop-a.localhost", "127.0.0.1")
    vendor_site.files[domains.instructions_for(claim).http_path] = "not-the-token"
    with pytest.raises(DomainNotVerified) as caught:
        domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    assert "does not hold the token" in caught.value.message
    assert not Domain.objects.filter(domain="shop-a.localhost").exists()


def test_the_http_check_never_reaches_a_private_address_outside_tests(vendor_a, dns_zone, vendor_site, settings):
    settings.DOMAIN_VERIFICATION_ALLOW_PRIVATE_ADDRESSES = False
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    dns_zone.address("shop-a.localhost", "127.0.0.1")
    vendor_site.files[domains.instructions_for(claim).http_path] = claim.token
    with pytest.raises(DomainNotVerified) as caught:
        domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)
    assert "No public address answers" in caught.value.message
    assert vendor_site.requests == []


def test_a_resolver_that_does_not_answer_is_an_error_to_retry_not_a_missing_record():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        resolver = DnsPythonResolver(nameservers=("127.0.0.1",), port=silent.getsockname()[1], lifetime=0.5)
        with pytest.raises(DnsUnavailable) as caught:
            resolver.txt("_marketplace-challenge.shop-a.localhost")
    assert caught.value.status_code == 503 and "try again" in caught.value.message


# --- who may claim what -------------------------------------------------------------------------


def test_a_name_another_store_has_proven_is_refused_and_nothing_is_created(vendor_a, vendor_b, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    publish_txt(dns_zone, claim)
    domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)

    with pytest.raises(DomainTaken) as caught:
        domains.custom_domain_add(store=vendor_b.store, domain="shop-a.localhost")

    assert caught.value.code == "domain_taken" and caught.value.status_code == 409
    assert list(CustomDomain.objects.values_list("store_id", flat=True)) == [vendor_a.store.pk]
    with pytest.raises(DomainTaken) as again:
        domains.custom_domain_add(store=vendor_a.store, domain="SHOP-A.localhost")
    assert again.value.code == "domain_added"


def test_a_squatters_pending_claim_does_not_lock_out_the_owner_who_proves_it(vendor_a, vendor_b, dns_zone):
    squatter = domains.custom_domain_add(store=vendor_b.store, domain="shop-a.localhost")
    owner = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    assert squatter.token != owner.token
    publish_txt(dns_zone, owner)

    domains.custom_domain_verify(store=vendor_a.store, domain_id=owner.pk)
    # The squatter's claim cannot be proven by the owner's record, and cannot take the route.
    with pytest.raises(DomainNotVerified):
        domains.custom_domain_verify(store=vendor_b.store, domain_id=squatter.pk)
    publish_txt(dns_zone, squatter)
    with pytest.raises(DomainTaken):
        domains.custom_domain_verify(store=vendor_b.store, domain_id=squatter.pk)
    assert Domain.objects.get(domain="shop-a.localhost").tenant_id == vendor_a.store.pk
    assert CustomDomain.objects.get(pk=squatter.pk).status == "pending"


def test_another_store_can_neither_verify_nor_remove_a_claim(vendor_a, vendor_b, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    publish_txt(dns_zone, claim)
    with pytest.raises(NotFound):
        domains.custom_domain_verify(store=vendor_b.store, domain_id=claim.pk)
    with pytest.raises(NotFound):
        domains.custom_domain_remove(store=vendor_b.store, domain_id=claim.pk)
    claim.refresh_from_db()
    assert claim.status == "pending" and not Domain.objects.filter(domain="shop-a.localhost").exists()
    assert list(domains.custom_domains_of(vendor_b.store)) == []


def test_a_store_has_at_most_the_configured_number_of_domains(vendor_a, settings):
    settings.CUSTOM_DOMAINS_PER_STORE = 2
    domains.custom_domain_add(store=vendor_a.store, domain="one.example.com")
    domains.custom_domain_add(store=vendor_a.store, domain="two.example.com")
    with pytest.raises(Conflict) as caught:
        domains.custom_domain_add(store=vendor_a.store, domain="three.example.com")
    assert caught.value.code == "domain_limit"
    assert CustomDomain.objects.filter(store=vendor_a.store).count() == 2


def test_removing_a_domain_stops_routing_it(vendor_a, dns_zone):
    claim = domains.custom_domain_add(store=vendor_a.store, domain="shop-a.localhost")
    publish_txt(dns_zone, claim)
    domains.custom_domain_verify(store=vendor_a.store, domain_id=claim.pk)

    domains.custom_domain_remove(store=vendor_a.store, domain_id=claim.pk)

    assert not Domain.objects.filter(domain="shop-a.localhost").exists()
    assert not CustomDomain.objects.filter(domain="shop-a.localhost").exists()
    assert domains.custom_domain_routed("shop-a.localhost") is None
    assert Domain.objects.filter(domain=vendor_a.host, tenant=vendor_a.store).exists()  # its own host stays
