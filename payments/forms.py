"""Forms of the payments ops pages (filters are validated like any input: errors, never a 500)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import WebhookEvent


class WebhookEventFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Any status")), *WebhookEvent.Status.choices],
    )
    type = forms.CharField(label=_("Event type"), required=False, max_length=100)
    account = forms.CharField(label=_("Connected account"), required=False, max_length=64)
    q = forms.CharField(label=_("Event id"), required=False, max_length=255)
    received_from = forms.DateField(label=_("Received from"), required=False)
    received_to = forms.DateField(label=_("Received to"), required=False)

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return data
