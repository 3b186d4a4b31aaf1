"""Events, as recorded by every other resource."""

from __future__ import annotations

import copy
from typing import Any

from .base import Context, ResourceBase, Route

ROUTES: tuple[Route, ...] = (
    ("GET", r"/v1/events", "event_list"),
    ("GET", r"/v1/events/(?P<oid>[^/]+)", "event_retrieve"),
)


class EventsResource(ResourceBase):
    """`/v1/events`."""

    def event_list(self, ctx: Context) -> dict[str, Any]:
        items = self.store.all("event", owner=ctx.account)
        event_type = ctx.params.string("type")
        if event_type:
            if event_type.endswith("*"):
                items = [e for e in items if e["type"].startswith(event_type[:-1])]
            else:
                items = [e for e in items if e["type"] == event_type]
        types = ctx.params.raw("types")
        if isinstance(types, list):
            items = [e for e in items if e["type"] in types]
        return self.list_response(ctx, "/v1/events", items)

    def event_retrieve(self, ctx: Context, oid: str) -> dict[str, Any]:
        return copy.deepcopy(self.owned(ctx, "event", oid))
