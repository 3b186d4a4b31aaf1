from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from orders import signals, tax_transactions  # noqa: F401  (registers its order event subscribers)

        # Framework hook only: the merge itself is a service (orders.services.cart_merge).
        user_logged_in.connect(signals.cart_merge_on_login, dispatch_uid="orders.cart_merge")
