"""Dead-letter reads for the ops console."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from support.errors import DeadLetterNotFound
from support.models import DeadLetter


def dead_letter_list(*, status: str | None = DeadLetter.Status.OPEN) -> QuerySet[DeadLetter]:
    letters = DeadLetter.objects.select_related("resolved_by")
    return letters.filter(status=status) if status else letters


def dead_letter_get(*, dead_letter_id: int) -> DeadLetter:
    letter = (DeadLetter.objects.select_related("resolved_by").prefetch_related("events__actor")
              .filter(pk=dead_letter_id).first())
    if letter is None:
        raise DeadLetterNotFound("No such dead letter.")
    return letter


def dead_letter_status_counts() -> dict[str, int]:
    rows = DeadLetter.objects.values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}
