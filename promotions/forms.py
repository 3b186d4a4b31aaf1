"""Forms of the vendor's sales page and the ops console's coupons page (parsing only; the rules
are the services')."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import SUPPORTED_CURRENCIES, MoneyError, parse_amount
from payouts.forms import BootstrapForm, DateTimeInput
from promotions.models import Promotion
from promotions.services import PromotionInput

CURRENCY_CHOICES = [("", "—"), *[(code, code) for code in SUPPORTED_CURRENCIES]]


class PromotionForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, required=False,
                           help_text=_("Leave empty for a sale that applies by itself."))
    kind = forms.ChoiceField(label=_("Discount"), choices=Promotion.Kind.choices)
    percent = forms.DecimalField(label=_("Percentage off"), required=False, min_value=Decimal("0.01"),
                                 max_value=Decimal(100), decimal_places=2)
    amount = forms.CharField(label=_("Amount off"), required=False, max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, required=False,
                                 help_text=_("Of the amount off and the minimum order."))
    min_order = forms.CharField(label=_("Minimum order"), required=False, max_length=20,
                                help_text=_("What the covered items must cost together."))
    category_ids = forms.TypedMultipleChoiceField(label=_("Categories"), required=False, coerce=int,
                                                  help_text=_("None chosen: every category."))
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=DateTimeInput())
    max_uses = forms.IntegerField(label=_("Uses in all"), required=False, min_value=1,
                                  help_text=_("Empty: no limit."))
    max_uses_per_buyer = forms.IntegerField(label=_("Uses per buyer"), required=False, min_value=1,
                                            help_text=_("Empty: no limit."))

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category_ids"].choices = categories  # type: ignore[attr-defined]

    def _money(self, field: str, currency: str) -> int:
        text = self.cleaned_data.get(field)
        if not text:
            return 0
        if not currency:
            self.add_error("currency", _("Choose the currency of the amounts."))
            return 0
        try:
            return parse_amount(text, currency)
        except MoneyError as exc:
            self.add_error(field, str(exc))
            return 0

    # Scope fields of the subclass (ids chosen in multi-selects), passed to PromotionInput as tuples.
    scope_fields: tuple[str, ...] = ()

    def promotion_input(self) -> PromotionInput | None:
        """The parsed input, or None when a field did not parse (its error is on the form)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        scope = {name: tuple(data.get(name) or ()) for name in self.scope_fields}
        currency = data.get("currency") or ""
        percent = data.get("percent")
        result = PromotionInput(
            name=data["name"], code=data.get("code") or "", kind=data["kind"],
            percent_bp=int(percent * 100) if percent is not None else 0,
            amount=self._money("amount", currency), currency=currency,
            min_order_amount=self._money("min_order", currency),
            category_ids=tuple(data.get("category_ids") or ()), starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"), max_uses=data.get("max_uses"),
            max_uses_per_buyer=data.get("max_uses_per_buyer"), **scope,
        )
        return None if self.errors else result


class VendorPromotionForm(PromotionForm):
    scope_fields = ("product_ids",)
    product_ids = forms.TypedMultipleChoiceField(label=_("Products"), required=False, coerce=int,
                                                 help_text=_("None chosen: every product of your store."))

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_ids"].choices = products  # type: ignore[attr-defined]


class PlatformPromotionForm(PromotionForm):
    scope_fields = ("vendor_ids",)
    vendor_ids = forms.TypedMultipleChoiceField(label=_("Stores"), required=False, coerce=int,
                                                help_text=_("None chosen: every store."))

    def __init__(self, *args: Any, vendors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor_ids"].choices = vendors  # type: ignore[attr-defined]
