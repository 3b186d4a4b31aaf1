"""Health checks of the database and the broker."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection


def health_report() -> dict[str, Any]:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is a failed check
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1)
        client.ping()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {type(exc).__name__}"
    status = "ok" if all(value == "ok" for value in checks.values()) else "error"
    return {"status": status, "checks": checks}
