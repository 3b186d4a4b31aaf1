"""`POST /webhooks/tracking/<provider>/` on the platform host: carrier tracking updates."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from common.api import error_body
from common.exceptions import ApplicationError
from fulfillment.tracking import tracking_webhook_receive
from orders.models import TrackingReceipt

logger = logging.getLogger(__name__)


@csrf_exempt
def tracking_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    """Verify and store the event, then apply it in its shipment's vendor schema. An event for no
    known shipment is kept (unmatched) and answered 404, so the provider delivers it again."""
    if request.method != "POST":
        response = JsonResponse(error_body("method_not_allowed", "Use POST."), status=405)
        response["Allow"] = "POST"
        return response
    try:
        receipt = tracking_webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
    except ApplicationError as exc:
        logger.warning("tracking webhook rejected: %s: %s (%d bytes)", exc.code, exc.message, len(request.body))
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    if receipt.outcome == TrackingReceipt.Outcome.UNMATCHED:
        return JsonResponse(error_body("tracking_unmatched", "No shipment has this tracking number; the event is "
                                       "kept and applied when one does."), status=404)
    return JsonResponse({"received": True, "id": receipt.event_id, "outcome": receipt.outcome})
