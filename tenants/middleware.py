"""Admits verified custom vendor domains as hosts and keeps accounts off them (ADR 0092)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import split_domain_port, validate_host
from django_tenants.middleware.main import TenantMainMiddleware

from common.api import error_body
from common.hosts import host_url
from tenants.domains import custom_domain_routed
from tenants.services import store_slug, vendor_host

# What only the store's platform host serves: signing in, the dashboard, the APIs. Their session
# cookie, CSRF cookie and tokens stay on hosts the platform controls (the vendor controls the DNS
# of its own name, and could point it elsewhere at any time).
PLATFORM_HOST_ONLY = ("/dashboard/", "/accounts/", "/api/")


class CustomDomainMiddleware:
    """Before django-tenants' middleware. A host Django's ALLOWED_HOSTS admits (the platform's
    names) passes untouched. Any other host is looked up among verified custom domains: a match
    is admitted for this request only, and anything else is left to Django's own host check, which
    answers 400 as before. ALLOWED_HOSTS is never widened: without this middleware a custom
    domain is refused, never every host admitted."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw_host = request._get_raw_host()  # type: ignore[attr-defined]  # the Host (or X-Forwarded-Host) Django validates
        domain, _port = split_domain_port(raw_host)
        if not domain or validate_host(domain, settings.ALLOWED_HOSTS):
            return self.get_response(request)
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' connection
        claim = custom_domain_routed(domain)
        if claim is None:
            return self.get_response(request)
        # This request's host is valid: it is a verified custom domain (the only widening).
        request.get_host = lambda: raw_host  # type: ignore[method-assign]
        request.custom_domain = claim  # type: ignore[attr-defined]
        if request.path.startswith(PLATFORM_HOST_ONLY):
            return self._to_platform_host(request, vendor_host(store_slug(claim.store)))
        return self.get_response(request)

    @staticmethod
    def _to_platform_host(request: HttpRequest, platform_host: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(
                "platform_host_only", f"The API answers on {platform_host}, not on a store's own domain."), status=404)
        return HttpResponseRedirect(host_url(platform_host, request.get_full_path(), request))


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, routing a custom domain by its whole name: django-tenants drops
    a leading `www.` before the lookup, so `www.shop.example.com` would look for `shop.example.com`,
    a name the vendor has not proven (and another store may own)."""

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        claim = getattr(request, "custom_domain", None)
        if claim is not None:
            return str(claim.domain)
        return str(TenantMainMiddleware.hostname_from_request(request))
