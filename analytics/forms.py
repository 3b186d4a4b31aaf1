"""The date range of the analytics pages (GET): a reversed or over-long range is a form error."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_DAYS = 731  # two years, a leap day included
DEFAULT_DAYS = 30


class DateRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any, *, today: date) -> None:
        self.today = today
        defaults = {"start": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "end": today.isoformat()}
        given = {key: data.get(key) for key in ("start", "end") if data.get(key)}
        super().__init__({**defaults, **given})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the range is before its start."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", _("Choose a range of at most two years."))
            elif start > self.today:
                self.add_error("start", _("The range starts in the future."))
        return cleaned

    @property
    def range(self) -> tuple[date, date]:
        return self.cleaned_data["start"], min(self.cleaned_data["end"], self.today)
