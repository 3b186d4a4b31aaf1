"""Pages and endpoints shared by every side: error handlers, tenant-scoped media, ops home,
favicon, the style guide."""

from __future__ import annotations

import mimetypes
import posixpath
import sys
from datetime import UTC, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views.defaults import page_not_found, permission_denied, server_error

from accounts import roles
from accounts.permissions import ops_required
from common.api import error_body
from common.outage import is_transient_outage, retry_after_seconds
from common.ratelimit import rate_limited_page
from frontend import design_tokens
from frontend.templatetags.ui import STATUS_TONES, TONES
from support.attention import attention_list, sales_summary
from tenants.db import current_schema_name
from vendors.models import Vendor


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception or Http404())


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
    return permission_denied(request, exception or Exception())


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def handler429(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's limits (sign-in, sign-up, password reset) land here; it does not say which
    limit, so Retry-After is a minute, the shortest window they use."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            error_body("rate_limited", "Too many requests."), status=429)
        response["Retry-After"] = "60"
        return response
    return rate_limited_page(request, 60)


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block (views and middleware alike), so the error is
    # still current: a database or cache outage is "try again shortly", not a server error.
    if is_transient_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    if _is_api(request):
        return JsonResponse(error_body("server_error", "Internal error."), status=500)
    return server_error(request)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the API's error body, or a page that needs no database (the session,
    the user and the context processors would all query the one that is down)."""
    retry_after = retry_after_seconds()
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse(error_body(
            "service_unavailable", "The service is briefly unavailable; please try again shortly."),
            status=503)
    else:
        body = loader.get_template("503.html").render({"retry_after": retry_after})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def media_serve(request: HttpRequest, path: str) -> FileResponse:
    """Serve a public media file of the current schema only.

    Paths are `<schema>/<file>`; a path under another schema's prefix is 404, whatever the host.
    (In production media is served by S3/CloudFront under the same prefixes.)
    """
    normalized = posixpath.normpath(path).lstrip("/")
    schema, _, relative = normalized.partition("/")
    if schema != current_schema_name() or not relative or ".." in normalized.split("/"):
        raise Http404
    if not default_storage.exists(relative):
        raise Http404
    content_type, _ = mimetypes.guess_type(relative)
    response = FileResponse(default_storage.open(relative, "rb"),
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@ops_required()
def ops_home(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "vendor_count": Vendor.objects.count(),
        "active_vendor_count": Vendor.objects.filter(status=Vendor.Status.ACTIVE).count(),
        # The dead-letter queue is for platform admins only: the others get no link they cannot open.
        "attention": [item for item in attention_list()
                      if item.key != "dead_letters" or roles.is_platform_admin(request.user)],
        "sales": sales_summary(),
    }
    return render(request, "ops/home.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """`/favicon.ico` on every host (browsers and feed readers ask for it without reading the
    page's <link>): the static file, whose URL carries its content hash in production."""
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116 `/.well-known/security.txt`, on every host: where to report a vulnerability."""
    contact = settings.SECURITY_CONTACT
    if "@" in contact and ":" not in contact:
        contact = f"mailto:{contact}"
    # Recomputed on each request, so it never lapses; the RFC asks for less than a year ahead.
    expires = (timezone.now() + timedelta(days=settings.SECURITY_TXT_EXPIRES_DAYS)).replace(microsecond=0)
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Preferred-Languages: {', '.join(code for code, _name in settings.LANGUAGES)}",
        f"Canonical: {request.build_absolute_uri('/.well-known/security.txt')}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def styleguide(request: HttpRequest) -> HttpResponse:
    """The design system rendered by its real components with sample data. Public: it documents
    code and holds no one's data (ADR 0053)."""
    now = timezone.now()
    sample = {
        "title": "Linen apron, washed", "vendor_name": "Atelier Nord", "currency": "EUR", "in_stock": True,
        "image_url": static("img/styleguide-product.svg"), "thumbnail_url": "", "compare_at_amount": None,
        "price_min": 3400, "price_max": 3400, "rating": None, "rating_count": 0, "pk": 0,
    }
    listings = [
        SimpleNamespace(**sample),
        SimpleNamespace(**{**sample, "title": "Stoneware mug, set of two", "image_url": "", "price_min": 2200,
                           "price_max": 2900, "compare_at_amount": 3200, "rating": "4.8", "rating_count": 27}),
        SimpleNamespace(**{**sample, "title": "Beeswax candle", "in_stock": False, "price_min": 900,
                           "price_max": 900, "vendor_name": "Kerzenhaus"}),
    ]
    statuses = sorted({key for key in STATUS_TONES if ":" not in key}, key=lambda code: (
        TONES.index(STATUS_TONES[code]), code))
    return render(request, "styleguide.html", {
        "tokens": design_tokens.colour_tokens().values(),
        "pairs": design_tokens.contrast_pairs(),
        "aa": design_tokens.AA_NORMAL_TEXT,
        "listings": listings,
        "statuses": [(code, STATUS_TONES[code]) for code in statuses],
        "sample_when": now,
        "sample_deadlines": [now + timedelta(days=5), now + timedelta(hours=20), now - timedelta(hours=3)],
        "type_scale": ["3xl", "2xl", "xl", "lg", "md", "sm", "xs"],
        "spacing": [1, 2, 3, 4, 5, 6],
        "rows": [("A-1042", "paid", "Paid", 12990), ("A-1043", "new", "To ship", 4500),
                 ("A-1044", "cancelled", "Cancelled", 0)],
    })
