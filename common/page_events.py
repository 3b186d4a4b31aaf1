"""What a page tells analytics about a request (a product seen, a search, an item added to a cart).

Pages sit below the analytics app and never import it: a view notes its events on the request, and
the analytics middleware (analytics/middleware.py) records them after the response. A cached page
(common.page_cache) keeps the notes of the rendering that made it, so a visitor served from the
cache is counted like the first one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

ATTRIBUTE = "_page_events"


def page_event(request: HttpRequest, kind: str, **fields: Any) -> None:
    """Note that this request did `kind` (fields: ids, a search term; nothing about the person)."""
    notes: list[dict[str, Any]] = request.__dict__.setdefault(ATTRIBUTE, [])
    notes.append({"kind": kind, **fields})


def page_events(request: HttpRequest) -> list[dict[str, Any]]:
    return list(request.__dict__.get(ATTRIBUTE, ()))


def page_events_restore(request: HttpRequest, notes: list[dict[str, Any]] | None) -> None:
    """A cached page's notes, as if its view had run for this request."""
    if notes:
        request.__dict__[ATTRIBUTE] = [dict(note) for note in notes]
