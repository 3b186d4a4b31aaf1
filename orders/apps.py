from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from marketplace.price_rates import price_rates_register
        from orders import signals, tax_transactions  # noqa: F401  (registers its order event subscribers)
        from orders.currency import SearchPriceRates

        # Search converts prices with the cart's rates without importing orders (ADR 0087).
        price_rates_register(SearchPriceRates())

        # Framework hook only: the merge itself is a service (orders.services.cart_merge).
        user_logged_in.connect(signals.cart_merge_on_login, dispatch_uid="orders.cart_merge")
