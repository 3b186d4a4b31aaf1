"""The storefront settings form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vendors.forms import StyledForm


class StorefrontSettingsForm(StyledForm):
    name = forms.CharField(label=_("Store name"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}),
                                  required=False, max_length=5000)
    shipping_policy = forms.CharField(label=_("Shipping policy"), required=False, max_length=10000,
                                      widget=forms.Textarea(attrs={"rows": 4}))
    returns_policy = forms.CharField(label=_("Returns policy"), required=False, max_length=10000,
                                     widget=forms.Textarea(attrs={"rows": 4}))
    support_email = forms.EmailField(label=_("Support email"), required=False)
    about = forms.CharField(label=_("About the store"), widget=forms.Textarea(attrs={"rows": 5}),
                            required=False, max_length=10000)
    brand_color = forms.CharField(label=_("Brand colour (#rrggbb, for buttons and links)"), required=False,
                                  max_length=7, widget=forms.TextInput(attrs={"placeholder": "#0b6e4f"}))
    header_color = forms.CharField(label=_("Header colour (#rrggbb)"), required=False, max_length=7,
                                   widget=forms.TextInput(attrs={"placeholder": "#0b6e4f"}))
    website_url = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    instagram_url = forms.URLField(label=_("Instagram"), required=False, assume_scheme="https")
    facebook_url = forms.URLField(label=_("Facebook"), required=False, assume_scheme="https")
    logo = forms.FileField(label=_("Logo (PNG, JPEG or WebP, at most 5 MB)"), required=False)
    banner = forms.FileField(label=_("Banner (PNG, JPEG or WebP, at most 5 MB)"), required=False)


class CustomDomainForm(StyledForm):
    domain = forms.CharField(
        label=_("Your domain"), max_length=300,
        help_text=_("A name you own, such as shop.example.com. Your dashboard stays on the platform's address."),
    )
