from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = "Fulfilment"

    def ready(self) -> None:
        # Fulfilment hears orders through their events and serves orders' fulfilment protocol
        # (orders comes first: docs/adr/0041).
        from fulfillment import order_subscribers  # noqa: F401  (registers the subscribers)
        from fulfillment.order_port import VendorFulfilment
        from orders.fulfillment_port import fulfilment_register

        fulfilment_register(VendorFulfilment())

        from fulfillment.shipping.port import VendorShippingTables
        from orders.shipping_port import shipping_tables_register

        shipping_tables_register(VendorShippingTables())
