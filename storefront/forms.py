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
    logo = forms.FileField(label=_("Logo (PNG, JPEG or WebP, at most 5 MB)"), required=False)
    banner = forms.FileField(label=_("Banner (PNG, JPEG or WebP, at most 5 MB)"), required=False)
