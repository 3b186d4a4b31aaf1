"""The TLS proxy's question before it obtains a certificate for a host (ADR 0092)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from tenants.domains import custom_domain_routed


@require_GET
def tls_ask(request: HttpRequest) -> HttpResponse:
    """Caddy's `on_demand_tls { ask … }`: 200 for a verified custom domain only, so nobody can
    make the proxy request certificates for names the platform does not serve (the platform's own
    names use the wildcard certificate and are never asked about)."""
    name = (request.GET.get("domain") or "").strip().lower().rstrip(".")
    if name and custom_domain_routed(name) is not None:
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unknown domain", status=404, content_type="text/plain")
