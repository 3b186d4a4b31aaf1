from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Purchases and refunds are heard from the order events (docs/adr/0041), never from pages.
        from analytics import subscribers  # noqa: F401  (registers the subscribers)
