"""Middleware: a request body size limit, a health endpoint that answers before tenant routing,
and request logging context."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from common.api import error_body

logger = logging.getLogger(__name__)


class RequestBodyLimitMiddleware:
    """Refuses with 413, before reading a byte of it, a body whose declared length exceeds
    REQUEST_BODY_MAX_BYTES (the largest allowed upload plus room for the form): Django's own
    limits apply only once the body is being parsed, and file parts are spooled whole first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django treats an unreadable length as no body
        if length > settings.REQUEST_BODY_MAX_BYTES:
            if request.path.startswith("/api/"):  # the API's error body (common.api)
                return JsonResponse(error_body("request_too_large", "Request body too large."), status=413)
            return HttpResponse("Request body too large.", status=413, content_type="text/plain")
        return self.get_response(request)


class HealthCheckMiddleware:
    """`/healthz` answers on any host (load balancers probe by IP) and checks DB and broker."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            from common.health import health_report

            report = health_report()
            return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
        return self.get_response(request)


class RequestContextMiddleware:
    """Tags every request with an id (echoed in `X-Request-ID`) for logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        logger.debug(
            "request %s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response
