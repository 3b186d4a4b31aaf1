"""Ops console forms: commission rules, the commission preview, manual ledger adjustments."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import SUPPORTED_CURRENCIES, MoneyError, parse_amount
from payouts.models import CHART, AccountCode, CommissionRule, JournalEntry
from vendors.models import Vendor

CURRENCY_CHOICES = [(code, code) for code in SUPPORTED_CURRENCIES]
# Service field names → form field names, to show service errors next to the right input.
FIELD_MAP = {"vendor_id": "vendor", "rate_bp": "rate_percent"}


def _amount(form: forms.Form, field: str, currency: str) -> int | None:
    text = form.cleaned_data.get(field)
    if text in (None, ""):
        return None
    try:
        return parse_amount(text, currency)
    except MoneyError as exc:
        form.add_error(field, str(exc))
        return None


def _ids(text: str) -> list[int]:
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise forms.ValidationError(_("Give category ids separated by commas."))
    return [int(part) for part in parts]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to widgets (templates render `{{ field }}`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"


class CommissionRuleForm(BootstrapForm):
    scope = forms.ChoiceField(label=_("Scope"), choices=CommissionRule.Scope.choices)
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.order_by("name"), required=False
    )
    category_id = forms.IntegerField(label=_("Category id"), required=False, min_value=1)
    category_path = forms.CharField(label=_("Category path"), required=False, max_length=500)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"), max_digits=7, decimal_places=2, initial=Decimal("0"),
        help_text=_("Percentage of the line; 12.5 means 12.5%."),
    )
    fixed_amount = forms.CharField(label=_("Fixed amount"), required=False, max_length=20)
    fixed_per = forms.ChoiceField(
        label=_("Fixed amount applies"), choices=CommissionRule.FixedPer.choices
    )
    min_per_line = forms.CharField(label=_("Minimum per line"), required=False, max_length=20)
    max_per_line = forms.CharField(label=_("Maximum per line"), required=False, max_length=20)
    shipping_commissionable = forms.BooleanField(label=_("Shipping is commissionable"),
                                                 required=False)
    valid_from = forms.DateTimeField(label=_("Valid from"), widget=DateTimeInput())
    valid_to = forms.DateTimeField(label=_("Valid until"), required=False, widget=DateTimeInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    @classmethod
    def initial_for(cls, rule: CommissionRule) -> dict[str, Any]:
        from common.money import to_major

        def major(value: int | None) -> str:
            return "" if value is None else str(to_major(value, rule.currency))

        return {
            "scope": rule.scope, "vendor": rule.vendor_id, "category_id": rule.category_id,
            "category_path": rule.category_path, "currency": rule.currency,
            "rate_percent": Decimal(rule.rate_bp) / 100, "fixed_amount": major(rule.fixed_amount),
            "fixed_per": rule.fixed_per, "min_per_line": major(rule.min_per_line),
            "max_per_line": major(rule.max_per_line),
            "shipping_commissionable": rule.shipping_commissionable,
            "valid_from": rule.valid_from, "valid_to": rule.valid_to, "note": rule.note,
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        currency = data["currency"]
        rate = data["rate_percent"] * 100
        if rate != rate.to_integral_value():
            self.add_error("rate_percent", _("Use at most two decimals."))
        vendor = data.get("vendor")
        return {
            "scope": data["scope"], "vendor_id": vendor.pk if vendor else None,
            "category_id": data.get("category_id"), "category_path": data.get("category_path", ""),
            "currency": currency, "rate_bp": int(rate),
            "fixed_amount": _amount(self, "fixed_amount", currency) or 0,
            "fixed_per": data["fixed_per"],
            "min_per_line": _amount(self, "min_per_line", currency),
            "max_per_line": _amount(self, "max_per_line", currency),
            "shipping_commissionable": data.get("shipping_commissionable", False),
            "valid_from": data["valid_from"], "valid_to": data.get("valid_to"),
            "note": data.get("note", ""),
        }

    def add_service_errors(self, fields: dict[str, list[str]], message: str) -> None:
        if not fields:
            self.add_error(None, message)
        for field, messages in fields.items():
            target = FIELD_MAP.get(field, field)
            for text in messages:
                self.add_error(target if target in self.fields else None, text)


class CommissionPreviewForm(BootstrapForm):
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.order_by("name"), required=False
    )
    category_id = forms.IntegerField(label=_("Category id"), required=False, min_value=1)
    category_ancestor_ids = forms.CharField(
        label=_("Ancestor category ids"), required=False, max_length=200,
        help_text=_("Nearest first, separated by commas."),
    )
    price = forms.CharField(label=_("Item price"), max_length=20, initial="40.00")
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100000, initial=1)
    shipping = forms.CharField(label=_("Shipping"), required=False, max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")

    def clean_category_ancestor_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("category_ancestor_ids", ""))

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        currency = data["currency"]
        price = _amount(self, "price", currency)
        shipping = _amount(self, "shipping", currency) or 0
        if price is not None and price < 0:
            self.add_error("price", _("The price cannot be negative."))
        if shipping < 0:
            self.add_error("shipping", _("Shipping cannot be negative."))
        vendor = data.get("vendor")
        return {
            "vendor_id": vendor.pk if vendor else None, "category_id": data.get("category_id"),
            "category_ancestor_ids": data["category_ancestor_ids"], "unit_amount": price or 0,
            "quantity": data["quantity"], "currency": currency, "shipping_amount": shipping,
        }


ACCOUNT_CHOICES = [("", "—"), *[(code.value, code.label) for code in AccountCode]]


class AdjustmentLineForm(BootstrapForm):
    account = forms.ChoiceField(label=_("Account"), choices=ACCOUNT_CHOICES, required=False)
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.order_by("name"), required=False
    )
    debit = forms.CharField(label=_("Debit"), required=False, max_length=20)
    credit = forms.CharField(label=_("Credit"), required=False, max_length=20)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        account = data.get("account")
        if not account:
            if data.get("debit") or data.get("credit"):
                self.add_error("account", _("Choose the account."))
            return data
        per_vendor = CHART[account][1]
        if per_vendor and not data.get("vendor"):
            self.add_error("vendor", _("This account belongs to a vendor: choose which."))
        if not per_vendor and data.get("vendor"):
            self.add_error("vendor", _("This is a platform account: leave the vendor empty."))
        if bool(data.get("debit")) == bool(data.get("credit")):
            self.add_error("debit", _("Give either a debit or a credit."))
        return data


AdjustmentLineFormSet = forms.formset_factory(AdjustmentLineForm, extra=4, max_num=10,
                                              validate_max=True)


class AdjustmentForm(BootstrapForm):
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(
        attrs={"rows": 2}))

    @staticmethod
    def new_key() -> str:
        return f"adjustment:{uuid.uuid4()}"


class LedgerFilterForm(BootstrapForm):
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False,
        choices=[("", _("All kinds")), *JournalEntry.Kind.choices],
    )
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
