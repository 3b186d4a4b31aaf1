"""Claim and dispute pages: the buyer's (platform host), the vendor dashboard's, and the ops console's.

Thin: each view resolves the claim through a selector scoped to who asks (another party's claim
is a 404), calls one service, and renders the form errors of a refused action with status 422.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from common.exceptions import ApplicationError, NotFound
from common.money import MoneyError, parse_amount
from disputes import selectors, services
from disputes.models import ChargebackEvidence, Claim, ClaimAttachment, ClaimMessage
from orders.models import Order, OrderEvent
from orders.timeline import order_timeline
from payouts.models import Transfer
from payouts.selectors import transfer_timeline

PAGE_SIZE = 25


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _found(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _amount(text: str, currency: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_amount(text, currency)
    except (MoneyError, ValueError) as exc:
        raise ApplicationError(_("Enter an amount such as 12.50."), code="amount_invalid",
                               fields={"amount": [_("Enter an amount such as 12.50.")]}) from exc


def _attachment_response(attachment: ClaimAttachment | ChargebackEvidence, name: str) -> Any:
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment_of(claim: Claim, attachment_id: int) -> ClaimAttachment:
    attachment = ClaimAttachment.objects.filter(pk=attachment_id, claim=claim).first()
    if attachment is None:
        raise Http404
    return attachment


def _thread_or_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "claim-thread":
        return render(request, "disputes/_thread.html", context, status=status)
    return render(request, template, context, status=status)


# ---------------------------------------------------------------------------------------------
# buyer (platform host)
# ---------------------------------------------------------------------------------------------
@login_required
def buyer_claim_new(request: HttpRequest, order_id: int) -> HttpResponse:
    user: Any = request.user
    order = Order.objects.filter(pk=order_id, buyer=user).prefetch_related("sub_orders__vendor",
                                                                                   "sub_orders__lines").first()
    if order is None:
        raise Http404
    context: dict[str, Any] = {"order": order, "reasons": Claim.Reason.choices, "form_data": request.POST}
    if request.method == "POST":
        lines = {key[4:]: value for key, value in request.POST.items() if key.startswith("qty_")}
        sub_order_id = request.POST.get("sub_order")
        # Only the chosen vendor's lines count.
        chosen = int(str(sub_order_id)) if str(sub_order_id).isdigit() else 0
        allowed = {str(pk) for pk in order.lines.filter(sub_order_id=chosen).values_list("pk", flat=True)}
        try:
            claim = services.claim_open(
                buyer=request.user, order_id=order.pk, sub_order_id=sub_order_id,
                reason=request.POST.get("reason"), description=request.POST.get("description"),
                lines={k: v for k, v in lines.items() if k in allowed},
                attachments=request.FILES.getlist("attachments"),
            )
        except NotFound as exc:
            context.update(error=exc.message, errors={"sub_order": [_("Choose the seller.")]})
            return render(request, "disputes/buyer_claim_new.html", context, status=422)
        except ApplicationError as exc:
            context.update(error=exc.message, errors=exc.fields)
            return render(request, "disputes/buyer_claim_new.html", context, status=422)
        messages.success(request, _("Your claim was sent to the seller."))
        return redirect("buyer-claim-detail", claim_id=claim.pk)
    return render(request, "disputes/buyer_claim_new.html", context)


@login_required
def buyer_claim_list(request: HttpRequest) -> HttpResponse:
    return render(request, "disputes/buyer_claim_list.html",
                  {"page": _page(request, selectors.claims_for_buyer(user=request.user))})


def _buyer_claim(request: HttpRequest, claim_id: int) -> Claim:
    return _found(selectors.claim_for_buyer, user=request.user, claim_id=claim_id)


@login_required
def buyer_claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _buyer_claim(request, claim_id)
    return render(request, "disputes/buyer_claim_detail.html", {"claim": claim, "viewer": "buyer"})


@login_required
@require_POST
def buyer_claim_message(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _buyer_claim(request, claim_id)
    return _message(request, claim, ClaimMessage.Role.BUYER, {"buyer": request.user},
                    "disputes/buyer_claim_detail.html", "buyer")


@login_required
@require_POST
def buyer_claim_escalate(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _buyer_claim(request, claim_id)
    try:
        services.claim_escalate(claim_id=claim.pk, user=request.user, by="buyer")
    except ApplicationError as exc:
        return render(request, "disputes/buyer_claim_detail.html",
                      {"claim": claim, "viewer": "buyer", "action_error": exc.message}, status=422)
    messages.success(request, _("The platform will review your claim."))
    return redirect("buyer-claim-detail", claim_id=claim.pk)


@login_required
@require_POST
def buyer_claim_withdraw(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _buyer_claim(request, claim_id)
    try:
        services.claim_withdraw(claim_id=claim.pk, buyer=request.user)
    except ApplicationError as exc:
        return render(request, "disputes/buyer_claim_detail.html",
                      {"claim": claim, "viewer": "buyer", "action_error": exc.message}, status=422)
    messages.success(request, _("Claim withdrawn."))
    return redirect("buyer-claim-detail", claim_id=claim.pk)


@login_required
def buyer_claim_attachment(request: HttpRequest, claim_id: int, attachment_id: int) -> HttpResponse:
    claim = _buyer_claim(request, claim_id)
    attachment = _attachment_of(claim, attachment_id)
    return _attachment_response(attachment, attachment.original_name)


def _message(request: HttpRequest, claim: Claim, role: str, scope: dict[str, Any], template: str,
             viewer: str) -> HttpResponse:
    try:
        services.claim_message_post(claim_id=claim.pk, user=request.user, role=role, body=request.POST.get("body"),
                                    attachments=request.FILES.getlist("attachments"), scope=scope)
    except ApplicationError as exc:
        return _thread_or_page(request, template, {"claim": claim, "viewer": viewer, "message_error": exc.message,
                                                   "form_data": request.POST}, status=422)
    claim = _reload(claim, viewer, request)
    if getattr(request, "htmx", None):
        return render(request, "disputes/_thread.html", {"claim": claim, "viewer": viewer})
    return redirect(request.path.rsplit("/messages/", 1)[0] + "/")


def _reload(claim: Claim, viewer: str, request: HttpRequest) -> Claim:
    if viewer == "buyer":
        return selectors.claim_for_buyer(user=request.user, claim_id=claim.pk)
    if viewer == "vendor":
        return selectors.claim_for_vendor(vendor=current_vendor(request), claim_id=claim.pk)
    return selectors.claim_for_ops(claim_id=claim.pk)


# ---------------------------------------------------------------------------------------------
# vendor dashboard (vendor host)
# ---------------------------------------------------------------------------------------------
@vendor_member_required()
def vendor_claim_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    vendor = current_vendor(request)
    qs = selectors.claims_for_vendor(vendor=vendor, status=status)
    context = {"page": _page(request, qs), "status": status, "statuses": Claim.Status.choices,
               "return_window": services.return_window_days(vendor),
               "can_edit_policy": roles.has_vendor_role(request.user, vendor, roles.VendorRole.MANAGER)}
    template = "disputes/_vendor_claim_table.html" if getattr(request, "htmx", None) else "disputes/vendor_claim_list.html"
    return render(request, template, context)


@vendor_member_required(roles.VendorRole.MANAGER)
@require_POST
def vendor_claim_policy(request: HttpRequest) -> HttpResponse:
    try:
        services.vendor_claim_policy_set(vendor=current_vendor(request),
                                         return_window_days=request.POST.get("return_window_days"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Return window saved."))
    return redirect("vendor-claim-list")


def _vendor_claim(request: HttpRequest, claim_id: int) -> Claim:
    return _found(selectors.claim_for_vendor, vendor=current_vendor(request), claim_id=claim_id)


@vendor_member_required()
def vendor_claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    return render(request, "disputes/vendor_claim_detail.html",
                  {"claim": claim, "viewer": "vendor", "refundable": services.claim_refundable(claim)})


def _vendor_action(request: HttpRequest, claim: Claim, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except ApplicationError as exc:
        return render(request, "disputes/vendor_claim_detail.html", {
            "claim": claim, "viewer": "vendor", "refundable": services.claim_refundable(claim),
            "action_error": exc.message, "errors": exc.fields, "form_data": request.POST,
        }, status=422)
    messages.success(request, success)
    return redirect("vendor-claim-detail", claim_id=claim.pk)


@vendor_member_required(roles.REFUNDS_MINIMUM_ROLE)
@require_POST
def vendor_claim_accept(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    vendor = current_vendor(request)

    def act() -> None:
        full = request.POST.get("refund", "full") == "full"
        services.claim_accept(
            claim_id=claim.pk, vendor=vendor, user=request.user,
            amount=None if full else _amount(request.POST.get("amount", ""), claim.currency) or "",
            return_required=request.POST.get("return_required") == "on",
            return_instructions=request.POST.get("return_instructions", ""),
            return_carrier=request.POST.get("return_carrier", ""),
            return_tracking_number=request.POST.get("return_tracking_number", ""),
        )

    return _vendor_action(request, claim, act, _("Claim accepted."))


@vendor_member_required()
@require_POST
def vendor_claim_reject(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    vendor = current_vendor(request)
    return _vendor_action(request, claim, lambda: services.claim_reject(
        claim_id=claim.pk, vendor=vendor, user=request.user, reason=request.POST.get("reason")),
        _("Claim rejected; the buyer can escalate it to the platform."))


@vendor_member_required(roles.REFUNDS_MINIMUM_ROLE)
@require_POST
def vendor_claim_return_received(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    vendor = current_vendor(request)
    return _vendor_action(request, claim, lambda: services.claim_return_received(
        claim_id=claim.pk, vendor=vendor, user=request.user), _("Return received: stock restored and refund sent."))


@vendor_member_required()
@require_POST
def vendor_claim_message(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    return _message(request, claim, ClaimMessage.Role.VENDOR, {"vendor": current_vendor(request)},
                    "disputes/vendor_claim_detail.html", "vendor")


@vendor_member_required()
def vendor_claim_attachment(request: HttpRequest, claim_id: int, attachment_id: int) -> HttpResponse:
    claim = _vendor_claim(request, claim_id)
    attachment = _attachment_of(claim, attachment_id)
    return _attachment_response(attachment, attachment.original_name)


@vendor_member_required()
def vendor_chargeback_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.chargebacks_for_vendor(vendor=current_vendor(request))
    return render(request, "disputes/vendor_chargeback_list.html", {"page": _page(request, qs)})


@vendor_member_required()
def vendor_chargeback_detail(request: HttpRequest, chargeback_id: int) -> HttpResponse:
    vendor = current_vendor(request)
    chargeback = _found(selectors.chargeback_for_vendor, vendor=vendor, chargeback_id=chargeback_id)
    context: dict[str, Any] = {"chargeback": chargeback, "kinds": ChargebackEvidence.Kind.choices,
                               "evidence": chargeback.evidence.filter(vendor=vendor),
                               "share": chargeback.shares.filter(vendor=vendor).first()}
    if request.method == "POST":
        try:
            services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor, user=request.user,
                                             kind=request.POST.get("kind"), text=request.POST.get("text"),
                                             upload=request.FILES.get("file"))
        except ApplicationError as exc:
            context.update(error=exc.message, form_data=request.POST)
            return render(request, "disputes/vendor_chargeback_detail.html", context, status=422)
        messages.success(request, _("Evidence added."))
        return redirect("vendor-chargeback-detail", chargeback_id=chargeback.pk)
    return render(request, "disputes/vendor_chargeback_detail.html", context)


# ---------------------------------------------------------------------------------------------
# ops console (platform host, admins)
# ---------------------------------------------------------------------------------------------
@ops_required(roles.is_platform_admin)
def ops_claim_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "escalated")
    return render(request, "disputes/ops_claim_list.html", {
        "page": _page(request, selectors.claims_for_ops(status=status)), "status": status,
        "statuses": [("escalated", _("Escalated")), ("active", _("All active")), *Claim.Status.choices],
    })


def _ops_context(claim: Claim, **extra: Any) -> dict[str, Any]:
    # Ops see the order's whole history: every event of the order and its parts, and the moves
    # of this vendor part's transfer.
    timeline = sorted(
        order_timeline(order_id=claim.order_id, audience=OrderEvent.Audience.STAFF)
        + transfer_timeline(transfer_ids=list(Transfer.objects.filter(sub_order_id=claim.sub_order_id)
                                              .values_list("pk", flat=True))),
        key=lambda entry: entry.at,
    )
    return {"claim": claim, "viewer": "admin", "history": selectors.party_history(claim=claim),
            "refundable": services.claim_refundable(claim), "liabilities": Claim.Liability.choices,
            "timeline": timeline, **extra}


@ops_required(roles.is_platform_admin)
def ops_claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _found(selectors.claim_for_ops, claim_id=claim_id)
    return render(request, "disputes/ops_claim_detail.html", _ops_context(claim))


@ops_required(roles.is_platform_admin)
@require_POST
def ops_claim_decide(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _found(selectors.claim_for_ops, claim_id=claim_id)
    try:
        services.claim_decide(
            claim_id=claim.pk, admin=request.user, outcome=request.POST.get("outcome"),
            amount=_amount(request.POST.get("amount", ""), claim.currency),
            liability=request.POST.get("liability", "vendor"),
            vendor_amount=_amount(request.POST.get("vendor_amount", ""), claim.currency),
            note=request.POST.get("note", ""),
        )
    except ApplicationError as exc:
        claim = selectors.claim_for_ops(claim_id=claim.pk)
        status = 409 if exc.status_code == 409 else 422
        return render(request, "disputes/ops_claim_detail.html",
                      _ops_context(claim, action_error=exc.message, errors=exc.fields, form_data=request.POST),
                      status=status)
    messages.success(request, _("Decision recorded and carried out."))
    return redirect("ops-claim-detail", claim_id=claim.pk)


@ops_required(roles.is_platform_admin)
@require_POST
def ops_claim_message(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _found(selectors.claim_for_ops, claim_id=claim_id)
    try:
        services.claim_message_post(claim_id=claim.pk, user=request.user, role=ClaimMessage.Role.ADMIN,
                                    body=request.POST.get("body"), attachments=request.FILES.getlist("attachments"))
    except ApplicationError as exc:
        return render(request, "disputes/ops_claim_detail.html", _ops_context(claim, message_error=exc.message),
                      status=422)
    if getattr(request, "htmx", None):
        return render(request, "disputes/_thread.html", {"claim": selectors.claim_for_ops(claim_id=claim.pk),
                                                         "viewer": "admin"})
    return redirect("ops-claim-detail", claim_id=claim.pk)


@ops_required(roles.is_platform_admin)
def ops_claim_attachment(request: HttpRequest, claim_id: int, attachment_id: int) -> HttpResponse:
    claim = _found(selectors.claim_for_ops, claim_id=claim_id)
    attachment = _attachment_of(claim, attachment_id)
    return _attachment_response(attachment, attachment.original_name)


@ops_required(roles.is_platform_admin)
def ops_dispute_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    return render(request, "disputes/ops_dispute_list.html", {
        "page": _page(request, selectors.chargebacks_for_ops(state=state)), "state": state,
        "stats": selectors.chargeback_stats(),
    })


@ops_required(roles.is_platform_admin)
def ops_dispute_detail(request: HttpRequest, chargeback_id: int) -> HttpResponse:
    chargeback = _found(selectors.chargeback_for_ops, chargeback_id=chargeback_id)
    chosen = ({name: request.POST.get(f"file_{name}", "") for name in services.EVIDENCE_FILE_FIELDS}
              if request.method == "POST" and "files_chosen" in request.POST else None)
    context: dict[str, Any] = {"chargeback": chargeback, "fields": services.EVIDENCE_FIELDS,
                               **_evidence_file_rows(chargeback, chosen)}
    if request.method == "POST":
        try:
            services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=request.user,
                                                fields=request.POST.dict(), files=chosen)
        except ApplicationError as exc:
            context.update(error=exc.message, form_data=request.POST)
            return render(request, "disputes/ops_dispute_detail.html", context, status=422)
        messages.success(request, _("Evidence submitted to the card network."))
        return redirect("ops-dispute-detail", chargeback_id=chargeback.pk)
    return render(request, "disputes/ops_dispute_detail.html", context)


def _evidence_file_rows(chargeback: Any, chosen: dict[str, str] | None) -> dict[str, Any]:
    """The ops form's file choices: per Stripe file field, the files with the one selected
    (the admin's last choice, else the default by kind), and the files the default leaves out."""
    items = [item for item in chargeback.evidence.all() if item.file]
    default = services.evidence_files_default(items)
    if chosen is None:
        selected = {field: str(item.pk) for field, item in default.assigned.items()}
    else:
        selected = {field: value for field, value in chosen.items() if value}
    rows = [{"field": field, "options": [
        {"id": item.pk, "selected": selected.get(field) == str(item.pk),
         "label": f"{item.vendor.name if item.vendor else _('Platform')} · {item.get_kind_display()} · "
                  f"{item.file_name}"} for item in items]}
            for field in services.EVIDENCE_FILE_FIELDS]
    sent = [item for item in items if item.stripe_file_id]
    return {"file_rows": rows if items else [], "files_left_out": default.left_out, "files_sent": sent}


@ops_required(roles.is_platform_admin)
def ops_evidence_file(request: HttpRequest, chargeback_id: int, evidence_id: int) -> HttpResponse:
    evidence = ChargebackEvidence.objects.filter(pk=evidence_id, chargeback_id=chargeback_id).exclude(file="").first()
    if evidence is None:
        raise Http404
    return _attachment_response(evidence, evidence.file_name or "file")


@vendor_member_required()
def vendor_evidence_file(request: HttpRequest, chargeback_id: int, evidence_id: int) -> HttpResponse:
    evidence = (ChargebackEvidence.objects.filter(pk=evidence_id, chargeback_id=chargeback_id,
                                                  vendor=current_vendor(request)).exclude(file="").first())
    if evidence is None:
        raise Http404
    return _attachment_response(evidence, evidence.file_name or "file")


