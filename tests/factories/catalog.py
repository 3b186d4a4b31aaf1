import factory

from catalog.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    """Creates in the schema active when called (wrap in `schema_context`)."""

    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    price_amount = 1999
    currency = "EUR"
    stock = 10
    status = Product.Status.ACTIVE
