from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every app's `webhook_handlers.py` registers its appliers (payments' own included).
        autodiscover_modules("webhook_handlers")
