"""OpenAPI views that describe the API of the host they are served on (platform or vendor)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class HostSchemaView(SpectacularAPIView):
    """django-tenants routes each host to its own URL conf; the schema follows the request's."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.urlconf = getattr(request._request, "urlconf", None)
        return super().get(request, *args, **kwargs)
