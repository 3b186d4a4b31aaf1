from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"

    def ready(self) -> None:
        from orders.discounts import discount_source_register
        from promotions import subscribers  # noqa: F401  (registers the order event subscribers)
        from promotions.source import PromotionDiscounts

        discount_source_register(PromotionDiscounts())
