"""Custom vendor domains: claiming a host, proving it (DNS TXT or an HTTP file), routing it (ADR 0092)."""

from __future__ import annotations

import http.client
import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http.request import validate_host
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from common.exceptions import Conflict, NotFound
from tenants.dns import Resolver, default_resolver
from tenants.errors import DnsUnavailable, DomainNotVerified, DomainTaken, InvalidDomain
from tenants.models import CustomDomain, Domain, Store

_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
HTTP_BODY_LIMIT = 1024


# --- reading ------------------------------------------------------------------------------------


def custom_domains_of(store: Store) -> QuerySet[CustomDomain]:
    return CustomDomain.objects.filter(store=store).order_by("domain")


def custom_domain_routed(host: str) -> CustomDomain | None:
    """The verified custom domain answering for `host` (with its store), or None."""
    return CustomDomain.objects.filter(domain=host.lower(), status=CustomDomain.Status.VERIFIED).select_related(
        "store").first()


@dataclass(frozen=True)
class Instructions:
    txt_name: str
    txt_value: str
    http_path: str
    http_url: str


def instructions_for(claim: CustomDomain) -> Instructions:
    """What the vendor publishes to prove the name: either of the two."""
    prefix = settings.DOMAIN_VERIFICATION_PREFIX
    path = f"/.well-known/{prefix}-domain-verification/{claim.token}"
    return Instructions(
        txt_name=f"_{prefix}-challenge.{claim.domain}",
        txt_value=f"{prefix}-domain-verification={claim.token}",
        http_path=path,
        http_url=f"http://{claim.domain}{path}",
    )


# --- checking a name ----------------------------------------------------------------------------


def domain_normalize(raw: str) -> str:
    """`Shop.Example.com.` → `shop.example.com`; a name in another script → its IDNA form.
    Refuses URLs, IP addresses, wildcards, single labels and anything DNS cannot hold."""
    text = (raw or "").strip().lower().rstrip(".")
    if not text:
        raise InvalidDomain(_("Enter a domain name, such as shop.example.com."), fields={"domain": ["required"]})
    if "://" in text or "/" in text or "@" in text:
        raise InvalidDomain(_("Enter the host name only, such as shop.example.com: no http://, path or email."),
                            fields={"domain": ["invalid"]})
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        raise InvalidDomain(_("An IP address cannot be a store's domain: enter a name such as shop.example.com."),
                            code="domain_ip_address", fields={"domain": ["ip_address"]})
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if (len(labels) < 2 or len(ascii_name) > 253 or not all(_LABEL_RE.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise InvalidDomain(
            _("“%(name)s” is not a valid domain name: use letters, digits and hyphens, in at least two parts "
              "separated by dots, such as shop.example.com.") % {"name": raw.strip()[:100]},
            fields={"domain": ["invalid"]})
    return ascii_name


def _claim_check(store: Store, host: str) -> None:
    """Refuse the platform's own hosts and a name another store has proven (or this one added)."""
    if host == settings.PLATFORM_DOMAIN or host.endswith("." + settings.PLATFORM_DOMAIN) or validate_host(
            host, settings.ALLOWED_HOSTS):
        raise DomainTaken(_("%(name)s belongs to the platform and cannot be a store's domain.") % {"name": host},
                          code="domain_platform", fields={"domain": ["platform"]})
    route = Domain.objects.filter(domain=host).select_related("tenant").first()
    if route is not None and route.tenant.schema_name == get_public_schema_name():
        raise DomainTaken(_("%(name)s belongs to the platform and cannot be a store's domain.") % {"name": host},
                          code="domain_platform", fields={"domain": ["platform"]})
    if CustomDomain.objects.filter(domain=host, store=store).exists():
        raise DomainTaken(_("You have added %(name)s already.") % {"name": host}, code="domain_added",
                          fields={"domain": ["added"]})
    if route is not None:
        raise DomainTaken(_("%(name)s is already in use by another store.") % {"name": host},
                          fields={"domain": ["taken"]})


# --- writing ------------------------------------------------------------------------------------


@transaction.atomic
def custom_domain_add(*, store: Store, domain: str) -> CustomDomain:
    """Claim a name for the store: pending, with the token the vendor publishes to prove it."""
    host = domain_normalize(domain)
    Store.objects.select_for_update().get(pk=store.pk)  # one claim at a time per store: the limit holds
    _claim_check(store, host)
    if CustomDomain.objects.filter(store=store).count() >= settings.CUSTOM_DOMAINS_PER_STORE:
        raise Conflict(_("A store can have at most %(count)d custom domains: remove one first.")
                       % {"count": settings.CUSTOM_DOMAINS_PER_STORE}, code="domain_limit",
                       fields={"domain": ["limit"]})
    return CustomDomain.objects.create(store=store, domain=host, token=secrets.token_hex(16))


def custom_domain_verify(*, store: Store, domain_id: int, resolver: Resolver | None = None) -> CustomDomain:
    """Look for the TXT record, then the HTTP file; route the name when either proves it.

    The look-ups run outside any transaction (they take seconds); the routing is one transaction
    that re-checks the claim under a lock. A failed check keeps the claim pending with its reason."""
    claim = _claim_of(store, domain_id)
    if claim.status == CustomDomain.Status.VERIFIED:
        return claim
    method, problem = _ownership_check(claim, resolver or default_resolver())
    if method is None:
        CustomDomain.objects.filter(pk=claim.pk, status=CustomDomain.Status.PENDING).update(
            last_check_error=problem[:500])
        raise DomainNotVerified(problem, fields={"domain": ["not_verified"]})
    return _verified_apply(store=store, domain_id=claim.pk, method=method)


@transaction.atomic
def _verified_apply(*, store: Store, domain_id: int, method: str) -> CustomDomain:
    claim = _claim_of(store, domain_id, lock=True)
    if claim.status == CustomDomain.Status.VERIFIED:
        return claim
    if Domain.objects.filter(domain=claim.domain).exists():
        raise DomainTaken(_("%(name)s is already in use by another store.") % {"name": claim.domain},
                          fields={"domain": ["taken"]})
    try:
        with transaction.atomic():
            Domain.objects.create(domain=claim.domain, tenant=store, is_primary=False)
            claim.status = CustomDomain.Status.VERIFIED
            claim.verified_by = method
            claim.verified_at = timezone.now()
            claim.last_check_error = ""
            claim.save(update_fields=["status", "verified_by", "verified_at", "last_check_error"])
    except IntegrityError as exc:  # another store proved the same name at the same instant
        raise DomainTaken(_("%(name)s is already in use by another store.") % {"name": claim.domain},
                          fields={"domain": ["taken"]}) from exc
    return claim


@transaction.atomic
def custom_domain_remove(*, store: Store, domain_id: int) -> None:
    """Stop routing the name and forget the claim, in one transaction."""
    claim = _claim_of(store, domain_id, lock=True)
    Domain.objects.filter(domain=claim.domain, tenant=store).delete()
    claim.delete()


def _claim_of(store: Store, domain_id: int, *, lock: bool = False) -> CustomDomain:
    claims = CustomDomain.objects.filter(store=store)
    if lock:
        claims = claims.select_for_update()
    claim = claims.filter(pk=domain_id).first()
    if claim is None:  # another store's claim is as absent as one that never was
        raise NotFound(_("This domain is not one of your store's."), code="domain_not_found")
    return claim


# --- proving ownership --------------------------------------------------------------------------


def _ownership_check(claim: CustomDomain, resolver: Resolver) -> tuple[str | None, str]:
    """(the method that proved the name, "") or (None, why neither did)."""
    steps = instructions_for(claim)
    records = [record.strip() for record in resolver.txt(steps.txt_name)]
    if steps.txt_value in records:
        return CustomDomain.Method.DNS, ""
    if records:
        dns_problem = _("The TXT record at %(name)s is “%(found)s”, not “%(expected)s”.") % {
            "name": steps.txt_name, "found": records[0][:120], "expected": steps.txt_value}
    else:
        dns_problem = _("There is no TXT record at %(name)s yet (new records can take a few minutes to appear).") % {
            "name": steps.txt_name}
    http_problem = _http_token_check(claim, resolver)
    if not http_problem:
        return CustomDomain.Method.HTTP, ""
    return None, f"{dns_problem} {http_problem}"


def _http_token_check(claim: CustomDomain, resolver: Resolver) -> str:
    """"" when http://<name>/.well-known/…/<token> answers the token, else why not.

    The name is resolved here and the request goes to that address with the name as its Host:
    no redirect is followed and, outside tests, no private address is reached (no request forgery
    towards the platform's own network)."""
    steps = instructions_for(claim)
    try:
        addresses = resolver.addresses(claim.domain)
    except DnsUnavailable:
        addresses = []
    if not settings.DOMAIN_VERIFICATION_ALLOW_PRIVATE_ADDRESSES:
        addresses = [address for address in addresses if ipaddress.ip_address(address).is_global]
    if not addresses:
        return _("No public address answers for %(name)s, so the file %(path)s could not be read.") % {
            "name": claim.domain, "path": steps.http_path}
    for address in addresses[:2]:
        if _http_token_served(address, claim.domain, steps.http_path, claim.token):
            return ""
    return _("The file at %(url)s does not hold the token.") % {"url": steps.http_url}


def _http_token_served(address: str, host: str, path: str, token: str) -> bool:
    connection = http.client.HTTPConnection(address, settings.DOMAIN_VERIFICATION_HTTP_PORT,
                                            timeout=settings.DOMAIN_DNS_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers={"Host": host, "User-Agent": "domain-verification"})
        response = connection.getresponse()
        body = response.read(HTTP_BODY_LIMIT)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return response.status == 200 and body.decode("utf-8", "replace").strip() == token
