"""Payments HTTP: the Stripe webhook endpoint and the ops console's webhook pages."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.api import error_body
from payments import selectors, webhooks
from payments.errors import WebhookEventNotReplayable, WebhookRejected
from payments.forms import WebhookEventFilterForm
from payments.models import WebhookEvent

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


@csrf_exempt
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """`POST /webhooks/stripe/`: verify, store once, answer 200; a Celery task applies it."""
    if request.method != "POST":
        response = JsonResponse(error_body("method_not_allowed", "Use POST."), status=405)
        response["Allow"] = "POST"
        return response
    try:
        event, created = webhooks.webhook_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except WebhookRejected as exc:
        logger.warning(
            "stripe webhook rejected: %s: %s (remote %s, %d bytes)",
            exc.code, exc.message, request.META.get("REMOTE_ADDR"), len(request.body),
        )
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return JsonResponse(
        {"received": True, "id": event.stripe_id, "duplicate": not created, "status": event.status}
    )


@ops_required(roles.is_platform_admin)
def ops_webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEventFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"] or None,
            "event_type": data["type"].strip() or None,
            "account": data["account"].strip() or None,
            "search": data["q"].strip() or None,
            "received_from": data["received_from"],
            "received_to": data["received_to"],
        }
    events = selectors.webhook_event_list(**filters) if not form.errors else WebhookEvent.objects.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "counts": selectors.webhook_status_counts(),
        "statuses": WebhookEvent.Status,
    }
    template = (
        "payments/ops/_webhook_table.html"
        if getattr(request, "htmx", False) and not request.htmx.boosted  # type: ignore[attr-defined]
        else "payments/ops/webhook_list.html"
    )
    return render(request, template, context)


def _event_or_404(event_id: int) -> WebhookEvent:
    try:
        return selectors.webhook_event_get(event_id=event_id)
    except WebhookEvent.DoesNotExist as exc:
        raise Http404 from exc


@ops_required(roles.is_platform_admin)
def ops_webhook_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    return render(
        request,
        "payments/ops/webhook_detail.html",
        {
            "event": event,
            "payload_pretty": json.dumps(event.payload, indent=2, sort_keys=True),
            "handled": bool(webhooks.handlers_for(event.type)),
        },
    )


@require_POST
@ops_required(roles.is_platform_admin)
def ops_webhook_replay(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    try:
        event = webhooks.webhook_event_replay(event_id=event.pk)
    except WebhookEventNotReplayable as exc:
        messages.error(request, exc.message)
    else:
        logger.info("webhook %s replayed by %s", event.stripe_id, request.user)
        messages.success(request, _("Event %(id)s queued for replay.") % {"id": event.stripe_id})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"/ops/webhooks/{event.pk}/"
        return response
    return redirect("ops-webhook-detail", event_id=event.pk)
