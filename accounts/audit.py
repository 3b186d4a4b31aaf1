"""The platform audit log: the one call for a staff action that is not a model save, and the
reads of the log (ops console, a vendor's dashboard, CSV). Model changes are logged on their own
(django-auditlog, the models listed in AUDITLOG_INCLUDE_TRACKING_MODELS; docs/adr/0073)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.audit_capture import request_context, vendor_id_of
from accounts.models import AuditLogEntry
from common.spreadsheets import csv_text


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """django-auditlog's shape: field -> [before, after], for the fields that differ."""
    before, after = _json_safe(dict(before or {})), _json_safe(dict(after or {}))
    keys = list(dict.fromkeys([*before, *after]))
    return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}


def audit_action(
    *, actor: Any = None, action: str, target: Model | None = None, target_type: str = "", target_id: Any = "",
    before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None, reason: str = "",
    request: HttpRequest | None = None, vendor_id: int | None = None, vendor_visible: bool = True,
) -> AuditLogEntry:
    """Log one action that is not (only) a model save: a staff decision, an impersonation, a
    refund asked of the payment provider. `action` is a dotted verb ("user.disable"). The actor
    and address come from `request`, else from the request being served; an explicit `actor`
    wins. The vendor is the target's (its own, its `vendor`, its parent's) unless given. Call it
    inside the service's transaction: the entry commits or rolls back with the change."""
    context = request_context(request)
    actor = actor if actor is not None else context.get("actor")
    content_type = ContentType.objects.get_for_model(target) if target is not None else None
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        vendor_id = vendor_id if vendor_id is not None else vendor_id_of(target)
    object_pk = str(target_id or "")
    return AuditLogEntry.objects.create(
        action=AuditLogEntry.Action.STAFF, verb=action[:64], content_type=content_type, object_pk=object_pk,
        object_id=int(object_pk) if object_pk.isdigit() else None, object_repr=str(target or object_pk)[:500],
        changes=audit_changes(before, after), actor=actor, actor_email=getattr(actor, "email", None),
        acting_as=context.get("acting_as"), remote_addr=context.get("remote_addr"), target_type=target_type,
        vendor_id=vendor_id, vendor_visible=vendor_visible, schema_name=getattr(connection, "schema_name", ""), reason=reason,
    )


# --- reads ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilter:
    """What the ops console filters on; every field optional."""

    actor: str = ""  # an email, or part of one
    verb: str = ""  # exact verb, or a prefix ending in "." ("user.")
    target_type: str = ""
    target_id: str = ""
    vendor_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive


def audit_entries(*, filters: AuditFilter | None = None) -> QuerySet[AuditLogEntry]:
    """The whole log for platform staff, newest first, filtered."""
    entries = AuditLogEntry.objects.select_related("actor", "acting_as").order_by("-timestamp", "-id")
    f = filters or AuditFilter()
    if f.actor:
        entries = entries.filter(actor_email__icontains=f.actor.strip())
    if f.verb:
        entries = (entries.filter(verb__startswith=f.verb) if f.verb.endswith(".")
                   else entries.filter(verb=f.verb))
    if f.target_type:
        entries = entries.filter(target_type=f.target_type)
    if f.target_id:
        entries = entries.filter(object_pk=str(f.target_id))
    if f.vendor_id is not None:
        entries = entries.filter(vendor_id=f.vendor_id)
    if f.since:
        entries = entries.filter(timestamp__date__gte=f.since)
    if f.until:
        entries = entries.filter(timestamp__date__lte=f.until)
    return entries


def audit_entries_of_vendor(*, vendor_id: int, filters: AuditFilter | None = None) -> QuerySet[AuditLogEntry]:
    """A vendor's own entries only, whatever the filter asks (its vendor field is overridden)."""
    f = filters or AuditFilter()
    scoped = AuditFilter(actor=f.actor, verb=f.verb, target_type=f.target_type, target_id=f.target_id,
                         vendor_id=vendor_id, since=f.since, until=f.until)
    return audit_entries(filters=scoped).filter(vendor_visible=True)


def audit_verbs() -> list[str]:
    return list(AuditLogEntry.objects.order_by("verb").values_list("verb", flat=True).distinct())


CSV_HEADER = ["id", "timestamp", "actor", "acting_as", "remote_addr", "verb", "target_type", "target_id",
              "target", "vendor_id", "reason", "changes"]


def audit_csv_rows(entries: Iterable[AuditLogEntry]) -> Iterator[list[str]]:
    yield CSV_HEADER
    for entry in entries:
        yield [str(entry.pk), entry.timestamp.isoformat(), entry.actor_email or "",
               getattr(entry.acting_as, "email", "") or "", entry.remote_addr or "", entry.verb,
               entry.target_type, entry.object_pk, entry.object_repr, "" if entry.vendor_id is None else str(entry.vendor_id),
               entry.reason, json.dumps(entry.changes or {}, sort_keys=True, cls=DjangoJSONEncoder)]


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_csv_lines(entries: Iterable[AuditLogEntry]) -> Iterator[str]:
    """CSV text, one line at a time (a streamed download); no cell becomes a formula."""
    writer = csv.writer(_Echo())
    for row in audit_csv_rows(entries):
        yield writer.writerow([csv_text(cell) for cell in row])
