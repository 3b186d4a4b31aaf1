"""Whole rows of what a refused write must leave alone, to compare before and after."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet


def rows(*querysets: QuerySet[Any] | type[Model]) -> dict[str, list[dict[str, Any]]]:
    """Every field of every row, per model (in the current schema), ordered by primary key: a
    refused request that changes any column of any of them, or adds or removes a row, shows here."""
    state: dict[str, list[dict[str, Any]]] = {}
    for source in querysets:
        queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
        key = queryset.model.__name__
        while key in state:
            key += "'"
        state[key] = list(queryset.order_by("pk").values())
    return state
