"""Support app configuration: connects the dead-letter recorder to Celery's failure signal."""

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery's own hook, so the apps whose tasks fail need not import this one.
        from support import signals

        signals.connect()
