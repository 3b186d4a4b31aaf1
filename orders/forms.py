"""Checkout form: the shipping address (validated per country by the service) and the token."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.addresses import country_choices


class CheckoutForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    region = forms.CharField(label=_("State or region"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=())
    vat_id = forms.CharField(label=_("EU VAT ID (businesses)"), max_length=20, required=False,
                             help_text=_("Cross-border purchases of a registered business are reverse-charged."))
    checkout_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = country_choices()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
        self.fields["country"].widget.attrs["class"] = "form-select"


class GuestEmailForm(forms.Form):
    """"Continue as guest": the email the order and its confirmation go to."""

    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}))


class GuestAccountForm(forms.Form):
    """The account offered after a guest purchase: a password (checked by the claim service)."""

    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(
        attrs={"class": "form-control", "autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password (again)"), strip=False, widget=forms.PasswordInput(
        attrs={"class": "form-control", "autocomplete": "new-password"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
