from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Notifications hear the apps below them through their events (order events, claim refund
        # rows; webhook handlers are autodiscovered by payments): none of them imports this app.
        from notifications import subscribers  # noqa: F401  (registers the subscribers)
