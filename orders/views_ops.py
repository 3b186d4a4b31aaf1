"""The ops console's fraud review queue: orders held for review, approved or refused with htmx."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from orders.models import OrderReview
from orders.services import risk

DECISIONS = {"approve": risk.order_review_approve, "refuse": risk.order_review_refuse}


def _reviews(status: str) -> Any:
    return (OrderReview.objects.filter(status=status)
            .select_related("order__buyer", "decided_by")
            .prefetch_related("order__sub_orders__vendor")
            .order_by("created_at" if status == OrderReview.Status.PENDING else "-decided_at", "pk"))


@ops_required(roles.can_review_risky_orders)
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", OrderReview.Status.PENDING)
    if status not in OrderReview.Status.values:
        status = OrderReview.Status.PENDING
    page = Paginator(_reviews(status), 25).get_page(request.GET.get("page"))
    return render(request, "orders/ops/reviews.html", {
        "page": page, "status": status, "statuses": OrderReview.Status.choices,
    })


@ops_required(roles.can_review_risky_orders)
@require_POST
def review_decide(request: HttpRequest, order_id: int, decision: str) -> HttpResponse:
    decide = DECISIONS.get(decision)
    if decide is None:
        raise Http404
    reason = request.POST.get("reason", "")[:2000]
    error: ApplicationError | None = None
    try:
        decide(order_id=order_id, actor=request.user, reason=reason)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        error = exc
    review = get_object_or_404(OrderReview.objects.select_related("order__buyer", "decided_by")
                               .prefetch_related("order__sub_orders__vendor"), order_id=order_id)
    if getattr(request, "htmx", False):
        # 200 with the refusal shown in the row: htmx swaps only 2xx answers into the page.
        return render(request, "orders/ops/_review_row.html", {"review": review, "error": error, "reason": reason})
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("ops-review-list")
