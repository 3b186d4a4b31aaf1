"""The Celery app of the fault tests' worker process: the project's own app and tasks, with a pause
at the riskiest point of each kind of work, where the test kills the worker with SIGKILL.

`FAULTS_PAUSE_AT` names the kinds that pause (comma-separated: transfer, webhook, import,
export); at that point the worker announces `<kind>:<id>` on the list `FAULTS_MARKERS` of the
broker's Valkey database, then sleeps `FAULTS_PAUSE_SECONDS`. The points, all after a side effect
and before its transaction or status commits:
- transfer: the gateway answered (the Stripe transfer exists), the Transfer row is not yet saved;
- webhook: the event's handlers ran (ledger posted, order paid) inside the uncommitted apply;
- import: the first chunk of rows is committed, the rest and the job's status are not;
- export: the file is stored, the job is not yet marked done.
Nothing here replaces the database, the broker or the gateway: the work is the product's own.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from celery.signals import worker_process_init

from config.celery import app

PAUSE_AT = {kind for kind in os.environ.get("FAULTS_PAUSE_AT", "").split(",") if kind}
PAUSE_SECONDS = float(os.environ.get("FAULTS_PAUSE_SECONDS", "30"))
MARKERS = os.environ.get("FAULTS_MARKERS", "faults:inflight")

# A killed worker's messages come back once the visibility timeout (shortened for these tests
# through CELERY_BROKER_VISIBILITY_TIMEOUT) has passed; look for them every second, not every
# 100 s, so a test waits seconds rather than minutes. A worker killed while it held the restore
# mutex would block every restore for the mutex's 5 minutes: 10 s here.
app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}), "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 10,
}


def _pause(kind: str, ident: Any) -> None:
    if kind not in PAUSE_AT:
        return
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).rpush(MARKERS, f"{kind}:{ident}:{os.getpid()}")
    time.sleep(PAUSE_SECONDS)


def _after(fn: Any, kind: str, ident: Any) -> Any:
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        _pause(kind, ident(args, kwargs, result))
        return result

    return wrapped


@worker_process_init.connect
def _install_pauses(**_: Any) -> None:
    from catalog import csv_io
    from payments import gateway, webhooks
    from payouts import exports

    gateway.transfer_create = _after(gateway.transfer_create, "transfer", lambda a, k, r: k.get("key"))
    csv_io._import_chunk = _after(csv_io._import_chunk, "import", lambda a, k, r: a[0][0].sku)
    # Several chunks from a small file, so the kill falls between two of them.
    csv_io.CHUNK_ROWS = int(os.environ.get("FAULTS_IMPORT_CHUNK_ROWS", "10"))

    real_handlers_for = webhooks.handlers_for

    def handlers_for(event_type: str) -> list[Any]:
        return [_after(h, "webhook", lambda a, k, r: a[0].stripe_id) for h in real_handlers_for(event_type)]

    webhooks.handlers_for = handlers_for

    real_storage = exports.export_storage

    def export_storage() -> Any:
        storage = real_storage()
        storage.save = _after(storage.save, "export", lambda a, k, r: r)  # type: ignore[method-assign]
        return storage

    exports.export_storage = export_storage
