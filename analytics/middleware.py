"""Records the events a page noted (common.page_events) once its response is built."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from analytics.services import page_events_capture
from common.page_events import page_events
from common.ratelimit import client_address

logger = logging.getLogger(__name__)


class PageEventsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        notes = page_events(request)
        if notes and response.status_code < 400:
            try:
                page_events_capture(notes=notes, ip=client_address(request),
                                    user_agent=request.headers.get("User-Agent", ""))
            except Exception:  # analytics must never break a page (Valkey away: the events are lost)
                logger.warning("analytics: page events not recorded", exc_info=True)
        return response
