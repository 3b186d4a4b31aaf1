"""Dashboard forms; they parse input, the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, StockAdjustment, StockLocation, Variant


def _category_choices() -> list[tuple[str, Any]]:
    from marketplace.models import Category

    return [("", _("(none)"))] + [
        (str(pk), f"{'— ' * depth}{name}") for pk, name, depth in
        Category.objects.order_by("path").values_list("pk", "name", "depth")
    ]


def pairs_parse(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(_("Write name=value pairs separated by semicolons."))
        result[key.strip()] = value.strip()
    return result


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    handle = forms.SlugField(label=_("Handle"), max_length=100, required=False,
                             help_text=_("Used in links and CSV files; made from the name when empty."))
    status = forms.ChoiceField(label=_("Status"), choices=Product.Status.choices)
    category_id = forms.ChoiceField(label=_("Category"), required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=50_000,
                                  widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("Basic HTML is kept (paragraphs, lists, bold, links)."))
    option_types = forms.CharField(label=_("Option types"), required=False, max_length=100,
                                   help_text=_("Comma separated, e.g. size, colour."))
    attributes = forms.CharField(label=_("Attributes"), required=False, max_length=2000,
                                 help_text=_("e.g. material=wool; fit=regular"))
    hs_code = forms.CharField(label=_("HS code (customs)"), required=False, max_length=14,
                              help_text=_("6 to 10 digits; needed on labels for parcels abroad."))
    origin_country = forms.CharField(label=_("Country of origin (customs)"), required=False, max_length=2,
                                     help_text=_("Two letters, e.g. DE."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category_id"]
        assert isinstance(category_field, forms.ChoiceField)
        category_field.choices = _category_choices()

    def clean_option_types(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["option_types"].split(",") if name.strip()]

    def clean_attributes(self) -> dict[str, str]:
        return pairs_parse(self.cleaned_data["attributes"])

    def clean_category_id(self) -> int | None:
        value = self.cleaned_data["category_id"]
        return int(value) if value else None


class VariantForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    options = forms.CharField(label=_("Options"), required=False, max_length=200,
                              help_text=_("e.g. size=M; colour=red"))
    price = forms.CharField(label=_("Price"), max_length=20, help_text=_("In the store's currency, e.g. 12.50"))
    compare_at_price = forms.CharField(label=_("Compare-at price"), max_length=20, required=False)
    weight_grams = forms.IntegerField(label=_("Weight (g)"), min_value=0, max_value=10**9, initial=0)
    stock = forms.IntegerField(label=_("Initial stock"), min_value=0, max_value=10**9, initial=0, required=False)

    def clean_options(self) -> dict[str, str]:
        return pairs_parse(self.cleaned_data["options"])


class VariantEditForm(VariantForm):
    """A variant's details; its stock changes only through adjustments (with a reason)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["stock"]


class StockAdjustmentForm(forms.Form):
    delta = forms.IntegerField(label=_("Change"), min_value=-10**9, max_value=10**9,
                               help_text=_("Positive to add, negative to remove."))
    reason = forms.ChoiceField(label=_("Reason"), choices=[
        c for c in StockAdjustment.Reason.choices if c[0] not in {"import", "initial"}])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


def _location_choices() -> list[tuple[str, Any]]:
    return [(str(pk), name) for pk, name in
            StockLocation.objects.order_by("-is_default", "priority", "id").values_list("pk", "name")]


def _choices_set(field: forms.Field, choices: list[tuple[str, Any]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class LocatedStockAdjustmentForm(StockAdjustmentForm):
    location = forms.ChoiceField(label=_("Location"), choices=(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices_set(self.fields["location"], _location_choices())
        self.order_fields(["location", "delta", "reason", "note"])


class StockMoveForm(forms.Form):
    source = forms.ChoiceField(label=_("From"), choices=())
    target = forms.ChoiceField(label=_("To"), choices=())
    quantity = forms.IntegerField(label=_("Units"), min_value=1, max_value=10**9)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _location_choices()
        _choices_set(self.fields["source"], choices)
        _choices_set(self.fields["target"], choices[1:] + choices[:1])


class _DateInput(forms.DateInput):
    input_type = "date"


class InventoryPolicyForm(forms.Form):
    inventory_policy = forms.ChoiceField(label=_("When out of stock"), choices=Variant.InventoryPolicy.choices)
    backorder_limit = forms.IntegerField(label=_("Units that may be sold beyond stock"), min_value=0,
                                         max_value=10**6, required=False, initial=0)
    available_on = forms.DateField(label=_("Ships from"), required=False, widget=_DateInput,
                                   help_text=_("Shown to buyers of units sold beyond stock; required for a pre-order."))


class StockLocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, min_length=2)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=10_000, initial=100,
                                  help_text=_("Orders take stock from the default location first, then lowest priority first."))
    is_default = forms.TypedChoiceField(label=_("Default location"), coerce=lambda value: value == "yes",
                                        choices=[("no", _("No")), ("yes", _("Yes"))], initial="no")


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Image"))
    alt = forms.CharField(label=_("Description for screen readers"), max_length=200, required=False)


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))



class ProductTranslationForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())
    name = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=50_000,
                                  widget=forms.Textarea(attrs={"rows": 6}),
                                  help_text=_("Basic HTML is kept (paragraphs, lists, bold, links)."))

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = languages  # type: ignore[attr-defined]
