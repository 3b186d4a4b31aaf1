"""Both hosts' URL confs plus two probes that query the protected tables with raw SQL through
`django.db.connection`, inside a real request (tests/isolation/test_row_level_security.py)."""

from __future__ import annotations

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path

# Every public table keyed by vendor that row-level security protects (docs/adr/0047).
PROTECTED_TABLES = (
    "vendors_membership", "vendors_invitation", "orders_suborder", "orders_orderline",
    "payouts_transfer", "payouts_payout", "payouts_vendorpayoutpolicy", "disputes_claim",
    "disputes_chargebackshare", "disputes_vendorclaimpolicy", "reviews_review",
)


def probe_read(request: HttpRequest) -> JsonResponse:
    """Who the request's connection is, and the vendors whose rows each table shows it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user, pg_backend_pid(), current_setting('app.vendor_id', true)")
        user, session_user, pid, bound = cursor.fetchone()
        seen = {}
        for table in PROTECTED_TABLES:
            cursor.execute(f"SELECT vendor_id, count(*) FROM {table} GROUP BY vendor_id")
            seen[table] = {str(vendor): count for vendor, count in cursor.fetchall()}
    if request.GET.get("fail"):
        raise RuntimeError("the view failed after its queries")
    return JsonResponse({"user": user, "session_user": session_user, "pid": pid, "bound": bound or "",
                         "seen": seen})


def probe_write(request: HttpRequest) -> JsonResponse:
    """Raw writes at another vendor's rows: `theirs` rows updated and deleted, and whether one of
    `own` rows can be handed to `theirs` (each in a savepoint, rolled back by the test)."""
    theirs, own = int(request.GET["theirs"]), int(request.GET["own"])
    result = {}
    for table in PROTECTED_TABLES:
        outcome: dict[str, object] = {}
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET vendor_id = vendor_id WHERE vendor_id = %s", [theirs])
            outcome["updated"] = cursor.rowcount
            try:
                with transaction.atomic():
                    cursor.execute(f"DELETE FROM {table} WHERE vendor_id = %s", [theirs])
                    outcome["deleted"] = cursor.rowcount
                    raise _Undo
            except _Undo:
                pass
            except DatabaseError as error:  # a foreign key that protects the row: not deleted either
                outcome["deleted"] = type(error).__name__
            try:
                with transaction.atomic():
                    cursor.execute(f"UPDATE {table} SET vendor_id = %s WHERE vendor_id = %s", [theirs, own])
                    outcome["handed_over"] = cursor.rowcount
                    raise _Undo
            except _Undo:
                pass
            except DatabaseError as error:
                outcome["handed_over"] = getattr(getattr(error, "__cause__", None), "sqlstate", None) or str(error)
        result[table] = outcome
    # A new row in another vendor's name (a membership: every other column is simple).
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO vendors_membership (user_id, vendor_id, role, is_active, created_at, updated_at) "
                "SELECT user_id, %s, 'staff', true, now(), now() FROM vendors_membership WHERE vendor_id = %s "
                "LIMIT 1", [theirs, own])
            result["insert_membership"] = {"inserted": cursor.rowcount}
            raise _Undo
    except _Undo:
        pass
    except DatabaseError as error:
        result["insert_membership"] = {"inserted": getattr(getattr(error, "__cause__", None), "sqlstate", None)}
    return JsonResponse(result)


class _Undo(Exception):
    pass


_probes = [path("__rls__/read/", probe_read), path("__rls__/write/", probe_write)]


def _with_probes(module: str) -> list[object]:
    from importlib import import_module

    return [*_probes, *import_module(module).urlpatterns]


class tenant_urls:
    urlpatterns = _with_probes("config.urls_tenants")


class public_urls:
    urlpatterns = _with_probes("config.urls_public")
