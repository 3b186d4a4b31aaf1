"""The audit log's pages (ops console and a vendor's dashboard, CSV) and the ops user management
pages: disable, enable, force a password reset, reset 2FA, impersonate (docs/adr/0073-0075)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import impersonation, roles
from accounts import services as account_services
from accounts.audit import (
    AuditFilter,
    audit_csv_lines,
    audit_entries,
    audit_entries_of_vendor,
    audit_verbs,
)
from accounts.models import User
from accounts.permissions import (
    IsVendorManager,
    current_vendor,
    ops_required,
    vendor_member_required,
)
from common.exceptions import ApplicationError
from common.hosts import vendor_url
from vendors.models import Membership

PAGE_SIZE = 50
CSV_MAX_ROWS = 50_000


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_filter_from(params: Any) -> AuditFilter:
    vendor = params.get("vendor", "")
    return AuditFilter(actor=params.get("actor", "")[:254], verb=params.get("verb", "")[:64],
                       target_type=params.get("target_type", "")[:100], target_id=params.get("target_id", "")[:64],
                       vendor_id=int(vendor) if vendor.isdigit() else None,
                       since=_date(params.get("since")), until=_date(params.get("until")))


def _csv(entries: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(audit_csv_lines(entries[:CSV_MAX_ROWS].iterator()),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- ops: the whole log -------------------------------------------------------------------------
@ops_required(roles.can_access_ops)
def ops_audit_list(request: HttpRequest) -> HttpResponse:
    filters = audit_filter_from(request.GET)
    page = Paginator(audit_entries(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "support/ops/audit_list.html", {
        "page": page, "filters": filters, "verbs": audit_verbs(), "query": query.urlencode()})


@ops_required(roles.can_access_ops)
def ops_audit_csv(request: HttpRequest) -> HttpResponse:
    return _csv(audit_entries(filters=audit_filter_from(request.GET)), "audit-log.csv")  # type: ignore[return-value]  # streamed


# --- a vendor's own entries ---------------------------------------------------------------------
@vendor_member_required(roles.VendorRole.MANAGER)
def dashboard_audit_list(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    filters = audit_filter_from(request.GET)
    entries = audit_entries_of_vendor(vendor_id=vendor.pk, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "support/dashboard/audit_list.html", {
        "page": page, "filters": filters, "query": query.urlencode()})


@vendor_member_required(roles.VendorRole.MANAGER)
def dashboard_audit_csv(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    return _csv(audit_entries_of_vendor(vendor_id=vendor.pk, filters=audit_filter_from(request.GET)),
                "audit-log.csv")  # type: ignore[return-value]  # streamed


class VendorAuditLogApi(APIView):
    """GET: the vendor's own audit entries, newest first (the same filters as the page)."""

    permission_classes = [IsVendorManager]

    @extend_schema(responses=inline_serializer("VendorAuditLogPage", {"results": inline_serializer(
        "VendorAuditLogEntry", {
            "id": serializers.IntegerField(), "timestamp": serializers.DateTimeField(),
            "actor": serializers.CharField(), "verb": serializers.CharField(),
            "target_type": serializers.CharField(), "target_id": serializers.CharField(),
            "target": serializers.CharField(), "reason": serializers.CharField(),
            "changes": serializers.DictField()}, many=True)}))
    def get(self, request: Request) -> Response:
        vendor = current_vendor(request)
        entries = audit_entries_of_vendor(vendor_id=vendor.pk, filters=audit_filter_from(request.query_params))
        return Response({"results": [{
            "id": entry.pk, "timestamp": entry.timestamp.isoformat(), "actor": entry.actor_email or "",
            "verb": entry.verb, "target_type": entry.target_type, "target_id": entry.object_pk,
            "target": entry.object_repr, "reason": entry.reason, "changes": entry.changes or {},
        } for entry in entries[:PAGE_SIZE]]})


# --- ops: users -----------------------------------------------------------------------------------
@ops_required(roles.is_platform_admin)
def ops_user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:254]
    users = User.objects.order_by("email")
    if q:
        users = users.filter(Q(email__icontains=q) | Q(full_name__icontains=q))
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/ops/user_list.html", {"page": page, "q": q})


def _user_or_404(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


@ops_required(roles.is_platform_admin)
def ops_user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    from allauth.mfa.utils import is_mfa_enabled

    user = _user_or_404(user_id)
    entries = audit_entries(filters=AuditFilter(target_type="accounts.user", target_id=str(user.pk)))[:20]
    return render(request, "support/ops/user_detail.html", {
        "subject": user, "entries": entries, "mfa_enabled": is_mfa_enabled(user),
        "identity_checks": account_services.IDENTITY_CHECKS,
        "impersonation_refusal": impersonation.impersonation_refusal(hijacker=request.user, hijacked=user),
        "memberships": user.memberships.select_related("vendor").filter(is_active=True),  # type: ignore[attr-defined]
    })


@ops_required(roles.is_platform_admin)
@require_POST
def ops_user_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    _user_or_404(user_id)
    reason = request.POST.get("reason", "")
    done = {
        "disable": (lambda: account_services.user_disable(user_id=user_id, actor=request.user, reason=reason,
                                                          request=request), _("The account is disabled.")),
        "enable": (lambda: account_services.user_enable(user_id=user_id, actor=request.user, reason=reason,
                                                        request=request), _("The account is enabled.")),
        "password-reset": (lambda: account_services.user_password_reset_force(
            user_id=user_id, actor=request.user, reason=reason, request=request),
            _("The password no longer works; a reset link was emailed.")),
        "mfa-reset": (lambda: account_services.user_mfa_reset(
            user_id=user_id, actor=request.user, checks=request.POST.getlist("checks"), reason=reason,
            request=request), _("Two-factor authentication was removed.")),
    }.get(action)
    if done is None:
        raise Http404
    run, message = done
    try:
        run()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("ops-user-detail", user_id=user_id)
    messages.success(request, message)
    return redirect("ops-user-detail", user_id=user_id)


@ops_required(roles.is_platform_admin)
@require_POST
def ops_user_impersonate(request: HttpRequest, user_id: int) -> HttpResponse:
    target = _user_or_404(user_id)
    try:
        impersonation.impersonation_start(request=request, target=target)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("ops-user-detail", user_id=user_id)
    return redirect("/")




@ops_required(roles.is_platform_admin)
@require_POST
def ops_user_impersonate_vendor(request: HttpRequest, user_id: int, vendor_id: int) -> HttpResponse:
    """See a vendor's dashboard as one of its members: sessions are per host, so the start is
    handed to the vendor's host by a one-time signed token (accounts.impersonation)."""
    target = _user_or_404(user_id)
    membership = (Membership.objects.select_related("vendor__store")
                  .filter(user=target, vendor_id=vendor_id, is_active=True).first())
    store = membership.vendor.store if membership is not None else None
    if membership is None or store is None:
        raise Http404
    vendor = membership.vendor
    try:
        token = impersonation.impersonation_handoff_issue(
            request=request, target=target, schema_name=store.schema_name, vendor_id=vendor.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("ops-user-detail", user_id=user_id)
    return redirect(vendor_url(vendor, f"/accounts/impersonation/handoff/?{urlencode({'token': token})}", request))
