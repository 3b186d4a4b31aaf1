from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        # Payouts hears orders through their events (orders comes first: docs/adr/0041), and
        # prices commissions at checkout through orders' commission protocol.
        from orders.commission import commission_source_register
        from payouts import order_subscribers  # noqa: F401  (registers the subscribers)
        from payouts.commissions import cart_commission

        commission_source_register(cart_commission)
