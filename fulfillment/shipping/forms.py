"""Forms of the dashboard's shipping settings (input parsing only; the service validates the rest).

Prices are typed in major units of the vendor's currency ("4.90") and kept in minor units. Bands are
one a line: from, to (or `*` for no upper end) and the price, such as `0 1000 4.90` (grams for
weight bands, amounts for value bands).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from common.exceptions import ApplicationError
from common.money import MoneyError, parse_amount
from fulfillment.shipping.models import ShippingMethod
from fulfillment.shipping.services import BandInput, MethodInput
from vendors.forms import StyledForm


def _codes(text: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in text.replace(";", ",").replace(" ", ",").split(",") if code.strip())


class ZoneForm(StyledForm):
    name = forms.CharField(label=_("Zone name"), max_length=100)
    countries = forms.CharField(label=_("Countries"), required=False, max_length=2000,
                                help_text=_("ISO country codes separated by commas, such as DE, AT, CH."))
    regions = forms.CharField(label=_("Only these regions"), required=False, max_length=2000,
                              help_text=_("Optional ISO region codes of those countries, such as US-CA, US-NY."))
    rest_of_world = forms.BooleanField(label=_("Rest of the world (every country no other zone serves)"),
                                       required=False)

    def clean_countries(self) -> tuple[str, ...]:
        return _codes(self.cleaned_data["countries"])

    def clean_regions(self) -> tuple[str, ...]:
        return _codes(self.cleaned_data["regions"])


class MethodForm(StyledForm):
    name = forms.CharField(label=_("Method name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ShippingMethod.Kind.choices)
    rate_kind = forms.ChoiceField(label=_("Price"), choices=ShippingMethod.RateKind.choices)
    flat_price = forms.CharField(label=_("Flat price"), required=False, max_length=20,
                                 help_text=_("For a flat rate, e.g. 4.90."))
    bands = forms.CharField(label=_("Bands"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("By weight or order value: one band a line, from, to (* for no end) and "
                                        "price, e.g. “0 1000 4.90” (grams for weight, amounts for value)."))
    free_over = forms.CharField(label=_("Free from"), required=False, max_length=20,
                                help_text=_("Free when the order reaches this amount (optional)."))
    handling_days = forms.IntegerField(label=_("Handling days"), initial=1,
                                       help_text=_("Business days to dispatch."))
    transit_days_min = forms.IntegerField(label=_("Transit days, at least"), initial=1)
    transit_days_max = forms.IntegerField(label=_("Transit days, at most"), initial=3)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def _amount(self, text: str, field: str) -> int:
        try:
            return parse_amount(text, self.currency)
        except MoneyError as exc:
            raise forms.ValidationError(_("Not an amount: %(text)s") % {"text": text}, code=field) from exc

    def clean_flat_price(self) -> int:
        text = self.cleaned_data["flat_price"].strip()
        return self._amount(text, "flat_price") if text else 0

    def clean_free_over(self) -> int | None:
        text = self.cleaned_data["free_over"].strip()
        return self._amount(text, "free_over") if text else None

    def clean_bands(self) -> tuple[BandInput, ...]:
        value_bands = self.data.get(self.add_prefix("rate_kind")) == ShippingMethod.RateKind.VALUE
        bands = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            parts = line.replace("–", " ").replace(":", " ").split()
            if not parts:
                continue
            if len(parts) != 3:
                raise forms.ValidationError(_("Line %(n)s: give from, to and price.") % {"n": number})
            try:
                lower = self._amount(parts[0], "bands") if value_bands else int(parts[0])
                upper = None if parts[1] == "*" else (self._amount(parts[1], "bands") if value_bands else int(parts[1]))
            except ValueError as exc:
                raise forms.ValidationError(_("Line %(n)s: from and to are whole grams.") % {"n": number}) from exc
            bands.append(BandInput(lower, upper, self._amount(parts[2], "bands")))
        return tuple(bands)

    def method_input(self) -> MethodInput:
        data = self.cleaned_data
        return MethodInput(name=data["name"], kind=data["kind"], rate_kind=data["rate_kind"],
                           flat_amount=data["flat_price"], bands=data["bands"], free_over_amount=data["free_over"],
                           handling_days=data["handling_days"], transit_days_min=data["transit_days_min"],
                           transit_days_max=data["transit_days_max"])


# Service field names (`methods.0.flat_amount`) to this form's.
_METHOD_FIELDS = {"flat_amount": "flat_price", "free_over_amount": "free_over"}


def errors_apply(error: ApplicationError, *, zone_form: ZoneForm | None, method_form: MethodForm | None) -> None:
    """Each message of a domain error on the field it names; the rest on the form as a whole."""
    for key, messages in (error.fields or {"": [error.message]}).items():
        target: forms.Form | None = zone_form
        name: str | None = key if zone_form is not None and key in zone_form.fields else None
        if key.startswith("methods.") and method_form is not None:
            field = key.split(".", 2)[2]
            target, name = method_form, _METHOD_FIELDS.get(field, field)
            name = name if name in method_form.fields else None
        target = target or method_form
        assert target is not None
        for message in messages:
            target.add_error(name, message)
