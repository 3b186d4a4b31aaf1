"""Forms of the onboarding pages, the ops review and the vendor team (input checks only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]

from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from vendors.models import ApplicationDocument, SellerIdentity, VendorApplication

CURRENCIES = [("EUR", "EUR — Euro"), ("GBP", "GBP — Pound sterling"), ("USD", "USD — US dollar"),
              ("CHF", "CHF — Swiss franc"), ("SEK", "SEK — Swedish krona"),
              ("PLN", "PLN — Polish złoty"), ("DKK", "DKK — Danish krone")]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (markup stays in templates)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a domain error on the form: on its fields when it names them, else on the form."""
    placed = False
    for name in error.fields:
        if name in form.fields:
            form.add_error(name, error.message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class BusinessForm(StyledForm):
    business_name = forms.CharField(label=_("Business name"), max_length=200)
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=VendorApplication.LegalForm.choices)
    country = LazyTypedChoiceField(label=_("Country"), choices=countries)
    currency = forms.ChoiceField(label=_("Currency you sell in"), choices=CURRENCIES)


class ContactForm(StyledForm):
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact email"))
    contact_phone = forms.RegexField(
        label=_("Phone (optional)"), regex=r"^\+?[0-9 ()\-]{6,30}$", required=False,
        error_messages={"invalid": _("Enter a phone number such as +49 30 1234567.")},
    )


def category_choices() -> list[tuple[Any, str]]:
    try:
        model = apps.get_model("marketplace", "Category")
    except LookupError:
        return []
    return [(str(pk), name) for pk, name in model.objects.order_by("path").values_list("pk", "name")[:500]]


class StoreForm(StyledForm):
    slug = forms.CharField(
        label=_("Store address"), max_length=40,
        help_text=_("3–40 lowercase letters, digits and hyphens; your store will be at "
                    "<address>.<platform domain>."),
    )
    categories = forms.MultipleChoiceField(label=_("Categories you sell"), required=True)
    categories_text = forms.CharField(
        label=_("Categories you sell (comma separated)"), required=False, max_length=600
    )
    description = forms.CharField(label=_("About your business"), widget=forms.Textarea(attrs={"rows": 5}),
                                  max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].widget.attrs.update({
            "hx-get": "/sell/slug-check/", "hx-trigger": "input changed delay:400ms, change",
            "hx-target": "#slug-check", "aria-describedby": "slug-check", "autocomplete": "off",
        })
        choices = category_choices()
        if choices:
            self.fields["categories"].choices = choices  # type: ignore[attr-defined]
            self.fields["categories"].widget = forms.CheckboxSelectMultiple(
                choices=choices, attrs={"class": "form-check-input"}
            )
            del self.fields["categories_text"]
        else:
            del self.fields["categories"]
            self.fields["categories_text"].required = True

    def categories_value(self) -> list[Any]:
        if "categories" in self.fields:
            return [int(value) for value in self.cleaned_data["categories"]]
        text = self.cleaned_data.get("categories_text", "")
        return [part.strip() for part in text.split(",") if part.strip()]


class LogoForm(StyledForm):
    logo = forms.FileField(label=_("Logo (PNG, JPEG or WebP, at most 2 MB)"))


class DocumentForm(StyledForm):
    kind = forms.ChoiceField(label=_("Document type"), choices=ApplicationDocument.Kind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG, at most 10 MB)"))


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=5000, required=False)


class InvitationForm(StyledForm):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(
        label=_("Role"), choices=[(VendorRole.MANAGER, VendorRole.MANAGER.label),
                                  (VendorRole.STAFF, VendorRole.STAFF.label)],
    )


class SellerIdentityForm(StyledForm):
    """DAC7 seller identity (formats are checked by vendors.seller_identity, shown as field errors)."""

    kind = forms.ChoiceField(label=_("You sell as"), choices=SellerIdentity.Kind.choices)
    legal_name = forms.CharField(label=_("Legal name (first and last name, or the entity's name)"), max_length=200)
    tin = forms.CharField(label=_("Tax identification number (TIN)"), max_length=40)
    tin_country = LazyTypedChoiceField(label=_("Country that issued the TIN"), choices=countries)
    vat_id = forms.CharField(label=_("VAT ID (optional)"), max_length=20, required=False)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    address_country = LazyTypedChoiceField(label=_("Country of residence or registered office"), choices=countries)
    birth_date = forms.DateField(label=_("Date of birth (individuals)"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    business_registration_number = forms.CharField(label=_("Business registration number (entities)"),
                                                   max_length=60, required=False)
    iban = forms.CharField(label=_("IBAN of the account you are paid to"), max_length=42, required=False,
                           help_text=_("We keep only the country and the last four characters."))
