"""Review pages: the buyer's (platform host: reviews to write, the form, votes, reports, the
product page's list), the vendor dashboard's (reviews and replies) and the ops moderation queue.

Thin: each view resolves the review through a selector scoped to who asks (another party's review
is a 404), calls one service, and renders a refused action's errors with status 422.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from common.exceptions import ApplicationError, NotFound
from marketplace.selectors import listing_visible
from reviews import selectors, services
from reviews.models import Review

PAGE_SIZE = 25
PRODUCT_PAGE_SIZE = 10


def _page(request: HttpRequest, qs: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _found(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


# ---------------------------------------------------------------------------------------------
# buyers and everyone (platform host)
# ---------------------------------------------------------------------------------------------
@login_required
def buyer_reviews(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/buyer_reviews.html", {
        "lines": selectors.lines_to_review(user=request.user)[:50],
        "page": _page(request, selectors.reviews_of_buyer(user=request.user)),
    })


@login_required
def review_new(request: HttpRequest, line_id: int) -> HttpResponse:
    line = selectors.line_to_review(user=request.user, line_id=line_id)
    if line is None:
        raise Http404
    context: dict[str, Any] = {"line": line, "form_data": request.POST, "stars": range(5, 0, -1),
                               "text_max": services.TEXT_MAX, "photos_max": services.PHOTOS_MAX}
    if request.method == "POST":
        try:
            review = services.review_create(
                buyer=request.user, order_line_id=line.pk, rating=request.POST.get("rating"),
                seller_rating=request.POST.get("seller_rating"), text=request.POST.get("text", ""),
                photos=request.FILES.getlist("photos"))
        except ApplicationError as exc:
            context.update(error=exc.message, errors=exc.fields)
            return render(request, "reviews/review_form.html", context, status=422)
        if review.status == Review.Status.PUBLISHED:
            messages.success(request, _("Thank you! Your review is published."))
        else:
            messages.info(request, _("Thank you! Your review will appear once a moderator has looked at it."))
        return redirect("buyer-reviews")
    return render(request, "reviews/review_form.html", context)


def listing_reviews(request: HttpRequest, listing_id: int) -> HttpResponse:
    """The product page's reviews, one page at a time (htmx loads the next into the list)."""
    listing = _found(listing_visible, listing_id=listing_id)
    return render(request, "reviews/_review_list.html", review_list_context(request, listing))


def review_list_context(request: HttpRequest, listing: Any) -> dict[str, Any]:
    qs = selectors.reviews_of_product(vendor_id=listing.vendor_id, product_id=listing.product_id,
                                      viewer=request.user)
    return {"listing": listing, "page": _page(request, qs, PRODUCT_PAGE_SIZE)}


@login_required
@require_POST
def review_helpful(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _found(selectors.review_published, review_id=review_id)
    error = ""
    try:
        review = services.review_vote_helpful(user=request.user, review_id=review.pk)
    except ApplicationError as exc:
        error = exc.message
    if getattr(request, "htmx", None):
        return render(request, "reviews/_helpful.html", {"review": review, "voted": True, "error": error},
                      status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Thanks for your vote."))
    return redirect(request.POST["next"] if _safe_next(request) else "/")


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or ""
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                            require_https=request.is_secure())


@login_required
def review_report(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _found(selectors.review_published, review_id=review_id)
    context: dict[str, Any] = {"review": review, "form_data": request.POST, "reason_max": services.REASON_MAX}
    if request.method == "POST":
        try:
            services.review_report(user=request.user, review_id=review.pk, reason=request.POST.get("reason"))
        except ApplicationError as exc:
            context.update(error=exc.message, errors=exc.fields)
            return render(request, "reviews/review_report.html", context, status=422)
        messages.success(request, _("Thank you. A moderator will look at this review."))
        return redirect("buyer-reviews")
    return render(request, "reviews/review_report.html", context)


# ---------------------------------------------------------------------------------------------
# vendor dashboard (vendor host)
# ---------------------------------------------------------------------------------------------
def _vendor_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    vendor = current_vendor(request)
    return {"page": _page(request, selectors.reviews_of_vendor_published(vendor=vendor)),
            "seller": selectors.seller_rating(vendor_id=vendor.pk),
            "can_reply": roles.can_reply_to_reviews(request.user, vendor),
            "reply_max": services.REPLY_MAX, **extra}


@vendor_member_required()
def vendor_reviews(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/vendor_reviews.html", _vendor_context(request))


@vendor_member_required(roles.REVIEW_REPLY_MINIMUM_ROLE)
@require_POST
def vendor_review_reply(request: HttpRequest, review_id: int) -> HttpResponse:
    vendor = current_vendor(request)
    review = _found(selectors.review_for_vendor, vendor=vendor, review_id=review_id)
    try:
        services.review_reply(vendor=vendor, user=request.user, review_id=review.pk, text=request.POST.get("text"))
    except ApplicationError as exc:
        return render(request, "reviews/vendor_reviews.html", _vendor_context(
            request, reply_error=exc.message, error_review_id=review.pk, form_data=request.POST), status=422)
    messages.success(request, _("Your reply is published."))
    return redirect("vendor-reviews")


# ---------------------------------------------------------------------------------------------
# ops console (platform host)
# ---------------------------------------------------------------------------------------------
STATES = (("open", gettext_lazy("Held or reported")), ("pending", gettext_lazy("Held")),
          ("published", gettext_lazy("Published")), ("hidden", gettext_lazy("Hidden")))


@ops_required(roles.can_moderate_reviews)
def ops_moderation(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    return render(request, "reviews/ops_moderation.html", {
        "page": _page(request, selectors.moderation_queue(state=state)), "state": state,
        "states": STATES,
    })


@ops_required(roles.can_moderate_reviews)
def ops_moderation_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _found(selectors.review_for_ops, review_id=review_id)
    if request.method == "POST":
        try:
            services.review_moderate(admin=request.user, review_id=review.pk, action=request.POST.get("action"),
                                     reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            return render(request, "reviews/ops_moderation_detail.html", {
                "review": selectors.review_for_ops(review_id=review.pk), "error": exc.message, "errors": exc.fields,
                "form_data": request.POST}, status=409 if exc.status_code == 409 else 422)
        messages.success(request, _("Decision recorded."))
        return redirect("ops-moderation")
    return render(request, "reviews/ops_moderation_detail.html", {"review": review})
