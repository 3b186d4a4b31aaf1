"""Message pages: the buyer's (platform host), the vendor dashboard's, and ops' read-only view.

Thin: each view resolves the thread through a selector scoped to who asks (another party's
thread is a 404), calls one service, and shows a refused write as a form error (422; 403 when the
vendor blocked the buyer) with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from common.exceptions import ApplicationError, NotFound
from marketplace.selectors import listing_visible
from messaging import selectors, services
from messaging.errors import BuyerBlocked, SenderBanned
from messaging.models import Message, MessageAttachment, Thread
from orders.models import SubOrder


def _found(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _status(exc: ApplicationError) -> int:
    return 403 if isinstance(exc, (BuyerBlocked, SenderBanned)) else 422


def _file(attachment: MessageAttachment) -> Any:  # a FileResponse (streaming)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _thread_context(thread: Thread, viewer: str, **extra: Any) -> dict[str, Any]:
    return {"thread": thread, "thread_messages": selectors.thread_messages(thread=thread), "viewer": viewer,
            **extra}


# --- buyer (platform host) ---------------------------------------------------------------------
@login_required
def buyer_thread_list(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/buyer_thread_list.html",
                  {"threads": selectors.threads_for_buyer(user=request.user)[:100]})


@login_required
def buyer_thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_buyer, user=request.user, thread_id=thread_id)
    status, extra = 200, {}
    if request.method == "POST":
        try:
            services.message_post(thread=thread, author=request.user, role=Message.Role.BUYER,
                                  body=request.POST.get("body"), attachments=request.FILES.getlist("attachments"))
        except ApplicationError as exc:
            status, extra = _status(exc), {"message_error": exc.message, "form_data": request.POST}
        else:
            return redirect("buyer-thread-detail", thread_id=thread.pk)
    services.thread_mark_read(thread=thread, role=Message.Role.BUYER)
    return render(request, "messaging/buyer_thread_detail.html", _thread_context(
        thread, "buyer", blocked=selectors.buyer_is_blocked(vendor=thread.vendor, buyer=request.user), **extra),
        status=status)


@login_required
def buyer_question_new(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = _found(listing_visible, listing_id=listing_id)
    context: dict[str, Any] = {"listing": listing, "form_data": request.POST}
    if request.method == "POST":
        try:
            thread = services.question_ask(buyer=request.user, listing_id=listing.pk, body=request.POST.get("body"),
                                           attachments=request.FILES.getlist("attachments"))
        except ApplicationError as exc:
            context.update(message_error=exc.message)
            return render(request, "messaging/buyer_compose.html", context, status=_status(exc))
        messages.success(request, _("Your question was sent to %(vendor)s.") % {"vendor": listing.vendor.name})
        return redirect("buyer-thread-detail", thread_id=thread.pk)
    return render(request, "messaging/buyer_compose.html", context)


@login_required
def buyer_order_thread(request: HttpRequest, order_id: int, sub_order_id: int) -> HttpResponse:
    user: Any = request.user
    sub = (SubOrder.objects.select_related("order", "vendor")
           .filter(pk=sub_order_id, order_id=order_id, order__buyer=user).first())
    if sub is None:
        raise Http404
    existing = Thread.objects.filter(kind=Thread.Kind.ORDER, sub_order=sub).first()
    if existing is not None and request.method != "POST":
        return redirect("buyer-thread-detail", thread_id=existing.pk)
    context: dict[str, Any] = {"sub": sub, "form_data": request.POST}
    if request.method == "POST":
        try:
            thread = services.order_thread_write(buyer=request.user, sub_order_id=sub.pk,
                                                 body=request.POST.get("body"),
                                                 attachments=request.FILES.getlist("attachments"))
        except ApplicationError as exc:
            context.update(message_error=exc.message)
            return render(request, "messaging/buyer_compose.html", context, status=_status(exc))
        return redirect("buyer-thread-detail", thread_id=thread.pk)
    return render(request, "messaging/buyer_compose.html", context)


@login_required
def buyer_thread_attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_buyer, user=request.user, thread_id=thread_id)
    return _file(_found(selectors.attachment_of, thread=thread, attachment_id=attachment_id))


@login_required
@require_POST
def buyer_message_report(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_buyer, user=request.user, thread_id=thread_id)
    return _report(request, thread, message_id, Message.Role.BUYER, "buyer-thread-detail")


def _report(request: HttpRequest, thread: Thread, message_id: int, role: str, back: str) -> HttpResponse:
    try:
        services.message_report(thread=thread, message_id=message_id, reporter=request.user, role=role,
                                reason=request.POST.get("reason"))
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: the platform will look at this message."))
    return redirect(back, thread_id=thread.pk)


# --- vendor dashboard ----------------------------------------------------------------------------
@vendor_member_required()
def vendor_thread_list(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/vendor_thread_list.html",
                  {"threads": selectors.threads_for_vendor(vendor=current_vendor(request))[:100]})


@vendor_member_required()
def vendor_thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    vendor = current_vendor(request)
    thread = _found(selectors.thread_for_vendor, vendor=vendor, thread_id=thread_id)
    status, extra = 200, {}
    if request.method == "POST":
        try:
            services.message_post(thread=thread, author=request.user, role=Message.Role.VENDOR,
                                  body=request.POST.get("body"), attachments=request.FILES.getlist("attachments"))
        except ApplicationError as exc:
            status, extra = _status(exc), {"message_error": exc.message, "form_data": request.POST}
        else:
            return redirect("vendor-thread-detail", thread_id=thread.pk)
    services.thread_mark_read(thread=thread, role=Message.Role.VENDOR)
    return render(request, "messaging/vendor_thread_detail.html", _thread_context(
        thread, "vendor", blocked=selectors.buyer_is_blocked(vendor=vendor, buyer=thread.buyer),
        can_block=roles.has_vendor_role(request.user, vendor, roles.VendorRole.MANAGER), **extra), status=status)


@vendor_member_required()
def vendor_thread_attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_vendor, vendor=current_vendor(request), thread_id=thread_id)
    return _file(_found(selectors.attachment_of, thread=thread, attachment_id=attachment_id))


@vendor_member_required()
@require_POST
def vendor_message_report(request: HttpRequest, thread_id: int, message_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_vendor, vendor=current_vendor(request), thread_id=thread_id)
    return _report(request, thread, message_id, Message.Role.VENDOR, "vendor-thread-detail")


@vendor_member_required(roles.VendorRole.MANAGER)
@require_POST
def vendor_thread_block(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Block (or, with `unblock`, allow again) the thread's buyer for the whole store."""
    vendor = current_vendor(request)
    thread = _found(selectors.thread_for_vendor, vendor=vendor, thread_id=thread_id)
    if request.POST.get("action") == "unblock":
        services.buyer_unblock(vendor=vendor, buyer=thread.buyer)
        messages.success(request, _("The buyer can write to you again."))
    else:
        services.buyer_block(vendor=vendor, buyer=thread.buyer, actor=request.user)
        messages.success(request, _("The buyer is blocked: their new messages are refused."))
    return redirect("vendor-thread-detail", thread_id=thread.pk)


# --- ops (platform host) -------------------------------------------------------------------------
@ops_required(roles.is_platform_admin)
def ops_thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_ops, thread_id=thread_id)
    return render(request, "messaging/ops_thread_detail.html", _thread_context(thread, "admin"))


@ops_required(roles.is_platform_admin)
def ops_thread_attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = _found(selectors.thread_for_ops, thread_id=thread_id)
    return _file(_found(selectors.attachment_of, thread=thread, attachment_id=attachment_id, include_hidden=True))


# --- ops moderation of reported messages (platform host), beside the review moderation queue -----
REPORT_STATES = (("open", gettext_lazy("Open")), ("decided", gettext_lazy("Decided")))


@ops_required(roles.can_moderate_reviews)
def ops_report_queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    state = state if state in dict(REPORT_STATES) else "open"
    page = Paginator(selectors.reports_queue(state=state), 25).get_page(request.GET.get("page"))
    return render(request, "messaging/ops_report_queue.html", {"page": page, "state": state,
                                                               "states": REPORT_STATES})


@ops_required(roles.can_moderate_reviews)
def ops_report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _found(selectors.report_for_ops, report_id=report_id)
    status, extra = 200, {}
    if request.method == "POST":
        try:
            services.report_decide(admin=request.user, report_id=report.pk, action=request.POST.get("action"),
                                   reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            status = 409 if exc.status_code == 409 else 422
            extra = {"error": exc.message, "errors": exc.fields, "form_data": request.POST}
            report = selectors.report_for_ops(report_id=report.pk)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("ops-message-reports")
    thread = report.message.thread
    return render(request, "messaging/ops_report_detail.html", {
        **_thread_context(thread, "admin"), "report": report, "reported_id": report.message_id,
        "other_reports": report.message.reports.exclude(pk=report.pk).select_related("reporter"),
        "sender_banned": selectors.sender_is_banned(user=report.message.author), **extra,
    }, status=status)
