"""Binds the database connection of a vendor host's request to that vendor (row-level security,
docs/adr/0047); the marketplace host's requests run unbound."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vendors.row_security import request_scope


class VendorScopeMiddleware:
    """Right after django-tenants' middleware, which chose the schema from the host. A request is
    a unit of its own: it starts from its host's binding whatever the connection held before, and
    leaves the connection unbound, when it raises too. A streamed body is sent after the release:
    the only streamed responses that read the database (catalog CSV exports) read the vendor's
    own schema, which the search path already confines."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        with request_scope(getattr(tenant, "schema_name", None)):
            return self.get_response(request)
