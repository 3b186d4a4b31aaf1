"""Ops console forms for the category tree."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import Category


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(label=_("Slug"), max_length=80, required=False,
                           help_text=_("Part of the URL; made from the name when empty."))
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=Category.objects.order_by("path"),
                                    required=False, empty_label=_("(top level)"))
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0, required=False)
