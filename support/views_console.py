"""The support console (platform /ops/support/): one search box, an order's whole story with its
manual refunds, listing takedowns and their appeals."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from common.money import format_money_localized
from marketplace.models import ListingTakedown
from support import selectors
from support.services import refunds, takedowns


@ops_required(roles.is_platform_admin)
@require_GET
def support_search(request: HttpRequest) -> HttpResponse:
    results = selectors.support_search(query=request.GET.get("q", ""))
    if results.kind in ("order", "payment", "charge", "transfer") and len(results.orders) == 1:
        # An id names one order: straight to it (one click less for the commonest question).
        return redirect("ops-support-order", order_id=results.orders[0].pk)
    return render(request, "support/ops/search.html", {"results": results})


def _order_context(order: Any) -> dict[str, Any]:
    parts = [{"sub": sub, "refundable": refunds.sub_order_refundable(sub),
              "refundable_text": format_money_localized(refunds.sub_order_refundable(sub), order.currency)}
             for sub in order.sub_orders.all()]
    return {"order": order, "parts": parts, "timeline": selectors.order_timeline(order=order),
            "refundable_total": sum(part["refundable"] for part in parts)}


@ops_required(roles.is_platform_admin)
@require_GET
def support_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.support_order(order_id=order_id)
    return render(request, "support/ops/order.html", _order_context(order))


@ops_required(roles.is_platform_admin)
@require_POST
def support_order_refund(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.support_order(order_id=order_id)
    try:
        done = refunds.order_refund_manual(
            order_id=order.pk, actor=request.user, reason=request.POST.get("reason", ""),
            sub_order_id=request.POST.get("sub_order") or None, amount=request.POST.get("amount") or None)
    except ApplicationError as exc:
        context = _order_context(selectors.support_order(order_id=order_id))
        context.update({"refund_error": exc, "refund_form": request.POST})
        return render(request, "support/ops/order.html", context, status=exc.status_code)
    total = sum(part.amount for part in done)
    messages.success(request, _("%(amount)s refunded.") % {"amount": format_money_localized(total, order.currency)})
    return redirect("ops-support-order", order_id=order.pk)


@ops_required(roles.is_platform_admin)
@require_POST
def support_listing_takedown(request: HttpRequest, listing_id: int) -> HttpResponse:
    try:
        takedown = takedowns.listing_take_down(listing_id=listing_id, actor=request.user,
                                               reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect(reverse("ops-support") + "?" + urlencode({"q": request.POST.get("q", "")}))
    messages.success(request, _("“%(title)s” is taken down; its vendor has been told.") % {"title": takedown.title})
    return redirect("ops-takedowns")


@ops_required(roles.is_platform_admin)
@require_GET
def support_takedowns(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ListingTakedown.Status.values:
        status = ""
    return render(request, "support/ops/takedowns.html", {
        "takedowns": selectors.takedowns_for_ops(status=status or None)[:100], "status": status,
        "statuses": ListingTakedown.Status.choices,
    })


@ops_required(roles.is_platform_admin)
@require_POST
def support_takedown_decide(request: HttpRequest, takedown_id: int, decision: str) -> HttpResponse:
    if decision not in ("restore", "uphold"):
        raise Http404
    try:
        takedowns.takedown_decide(takedown_id=takedown_id, actor=request.user, accept=decision == "restore",
                                  note=request.POST.get("note", ""))
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Listing restored.") if decision == "restore" else _("Appeal rejected."))
    return redirect("ops-takedowns")
