import factory

from catalog.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    """A product with one variant, created through `catalog.services.product_create` (so the
    outbox is written too). Creates in the schema active when called (wrap in `schema_context`).

    `sku`, `price_amount`, `currency` and `stock` describe its single variant; pass `variants=[...]`
    for several.
    """

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    price_amount = 1999
    currency = "EUR"
    stock = 10
    status = Product.Status.ACTIVE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        from catalog.services import product_create

        variant = {
            "sku": kwargs.pop("sku"), "price_amount": kwargs.pop("price_amount"),
            "currency": kwargs.pop("currency"), "stock": kwargs.pop("stock"),
        }
        kwargs.setdefault("variants", [variant])
        return product_create(**kwargs)
