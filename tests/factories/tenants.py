import factory

from tenants.models import Domain, Store


class StoreFactory(factory.django.DjangoModelFactory):
    """A store record without a schema (use `live_vendor` for a provisioned one)."""

    class Meta:
        model = Store

    schema_name = factory.Sequence(lambda n: f"v_store{n}")
    name = factory.Sequence(lambda n: f"Store {n}")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    tenant = factory.SubFactory(StoreFactory)
    domain = factory.Sequence(lambda n: f"store{n}.marketplace.localhost")
    is_primary = True
