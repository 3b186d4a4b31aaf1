"""The Celery app: tenant-aware, so a task queued in a vendor's context runs in its schema."""

import os
from typing import Any

from celery.fixups.django import DjangoFixup, DjangoWorkerFixup
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class TaskConnectionFixup(DjangoWorkerFixup):
    """Celery's Django fixup, except for tasks declared with `keeps_db_connection=True`.

    The fixup closes every database connection before and after each task, so each task opens a
    new one (a PostgreSQL backend start: the largest single cost of a short task, ADR 0063). A
    task that opts in keeps its connection between tasks the way a web request does: Django's
    `close_old_connections` closes it only when it is older than CONN_MAX_AGE, failed its health
    check or saw an error. Every other task keeps a fresh connection per task.
    """

    def on_task_prerun(self, sender: Any, **kwargs: Any) -> None:
        if self._keeps_connection(sender):
            self._close_old_connections()
            return
        super().on_task_prerun(sender, **kwargs)

    def on_task_postrun(self, sender: Any, **kwargs: Any) -> None:
        if self._keeps_connection(sender):
            self._close_old_connections()
            self.close_cache()
            return
        super().on_task_postrun(sender, **kwargs)

    def _keeps_connection(self, task: Any) -> bool:
        return (bool(getattr(task, "keeps_db_connection", False)) and not getattr(task.request, "is_eager", False)
                and self._is_prefork())

    @staticmethod
    def _close_old_connections() -> None:
        from django.db import close_old_connections

        close_old_connections()


app = TenantAwareCeleryApp("marketplace")
for _fixup in app._fixups:  # type: ignore[attr-defined]  # Celery keeps its fixups there
    if isinstance(_fixup, DjangoFixup):
        _fixup.worker_fixup = TaskConnectionFixup(app)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
