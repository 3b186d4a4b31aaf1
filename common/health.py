"""Health checks of the database and the broker."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

from common.databases import REPLICA


def health_report() -> dict[str, Any]:
    checks: dict[str, str] = {}
    # The read replica, when configured, serves search: without it the marketplace is down too.
    for alias, name in (("default", "database"), (REPLICA, "database_replica")):
        if alias not in settings.DATABASES:
            continue
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure is a failed check
            checks[name] = f"error: {type(exc).__name__}"
    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1)
        client.ping()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {type(exc).__name__}"
    status = "ok" if all(value == "ok" for value in checks.values()) else "error"
    return {"status": status, "checks": checks}
