"""Ops console pages: commission rules and preview (admins), the ledger and adjustments (finance)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from common.money import MoneyError, parse_amount
from payouts import commissions, selectors, services
from payouts.forms import (
    AdjustmentForm,
    AdjustmentLineFormSet,
    CommissionPreviewForm,
    CommissionRuleForm,
    LedgerFilterForm,
)
from payouts.ledger import selectors as ledger_selectors
from payouts.ledger.services import account_for, adjustment_post
from payouts.models import CommissionRule

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@ops_required(roles.is_platform_admin)
def commission_rules(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.commission_rules_list(
        scope=request.GET.get("scope") or None), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payouts/commission_rules.html", {
        "page": page, "preview_form": CommissionPreviewForm(),
        "scopes": CommissionRule.Scope.choices, "scope": request.GET.get("scope", ""),
    })


def _rule_or_404(rule_id: int) -> CommissionRule:
    rule = CommissionRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


@ops_required(roles.is_platform_admin)
def commission_rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = _rule_or_404(rule_id) if rule_id else None
    if request.method == "POST":
        form = CommissionRuleForm(request.POST)
        validate_only = bool(_is_htmx(request)) and request.POST.get("_validate") == "1"
        if form.is_valid():
            values = form.service_values()
            if form.is_valid():  # amounts parsed in service_values may add errors
                try:
                    if validate_only:
                        services.commission_rule_validate(rule=rule, **values)
                    elif rule is None:
                        services.commission_rule_create(created_by=request.user, **values)
                    else:
                        services.commission_rule_update(rule=rule, **values)
                except ApplicationError as error:
                    form.add_service_errors(error.fields, error.message)
                else:
                    if not validate_only:
                        messages.success(request, _("Commission rule saved."))
                        return redirect("payouts:commission-rules")
        template = "payouts/_commission_rule_form.html" if validate_only else (
            "payouts/commission_rule_form.html")
        status = 200 if validate_only or form.is_valid() else 400
        return render(request, template, {"form": form, "rule": rule, "validated": validate_only},
                      status=status)
    form = CommissionRuleForm(initial=CommissionRuleForm.initial_for(rule) if rule else None)
    return render(request, "payouts/commission_rule_form.html", {"form": form, "rule": rule})


@ops_required(roles.is_platform_admin)
def commission_preview(request: HttpRequest) -> HttpResponse:
    form = CommissionPreviewForm(request.POST or None)
    quote = rule = None
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        if form.is_valid():
            try:
                quote = commissions.commission_for_line(**values)
                rule = CommissionRule.objects.select_related("vendor").get(pk=quote.rule_id)
            except ApplicationError as error:
                form.add_error(None, error.message)
    template = "payouts/_commission_preview.html" if _is_htmx(request) else (
        "payouts/commission_preview.html")
    return render(request, template, {"preview_form": form, "quote": quote, "rule": rule},
                  status=400 if form.errors else 200)


@ops_required(roles.is_finance)
def ledger_overview(request: HttpRequest) -> HttpResponse:
    filters = LedgerFilterForm(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "vendor_id": data["vendor"].pk if data.get("vendor") else None,
            "kind": data.get("kind") or None,
            "date_from": data.get("date_from"), "date_to": data.get("date_to"),
        }
    vendor_id = criteria.get("vendor_id")
    accounts = list(ledger_selectors.accounts_with_balances(
        vendor_id=vendor_id, platform_only=vendor_id is None))
    rows = [
        {"account": account,
         "balance": ledger_selectors.normal_balance(
             account, account.running.balance if hasattr(account, "running") else 0)}
        for account in accounts
    ]
    page = Paginator(ledger_selectors.entries_list(**criteria), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "payouts/_ledger_entries.html" if _is_htmx(request) else "payouts/ledger.html"
    return render(request, template, {
        "filters": filters, "accounts": rows, "page": page, "query": query.urlencode(),
    })


@transaction.atomic
def _adjustment_submit(form: AdjustmentForm, lines: Any, user: Any) -> Any:
    """Accounts and the entry are written together, or not at all."""
    currency = form.cleaned_data["currency"]
    postings = []
    for line in lines.cleaned_data:
        if not line.get("account"):
            continue
        try:
            amount = (parse_amount(line["debit"], currency) if line.get("debit")
                      else -parse_amount(line["credit"], currency))
        except MoneyError as exc:
            raise ApplicationError(str(exc)) from exc
        vendor = line.get("vendor")
        account = account_for(code=line["account"], currency=currency,
                              vendor_id=vendor.pk if vendor else None)
        postings.append((account, amount))
    return adjustment_post(key=form.cleaned_data["key"], currency=currency, lines=postings,
                           reason=form.cleaned_data["reason"], created_by=user)


@ops_required(roles.is_finance)
def ledger_adjustment(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AdjustmentForm(request.POST)
        lines = AdjustmentLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            try:
                entry = _adjustment_submit(form, lines, request.user)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Adjustment %(key)s posted.") % {"key": entry.key})
                return redirect("payouts:ledger")
        return render(request, "payouts/adjustment_form.html", {"form": form, "lines": lines},
                      status=400)
    form = AdjustmentForm(initial={"key": AdjustmentForm.new_key()})
    return render(request, "payouts/adjustment_form.html",
                  {"form": form, "lines": AdjustmentLineFormSet(prefix="lines")})
