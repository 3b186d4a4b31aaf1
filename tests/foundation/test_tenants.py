"""Provisioning vendor schemas: service, command, Celery task, failure and retry."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_exists

from common.exceptions import ApplicationError
from tenants import services
from tenants.models import Domain, Store
from tests.factories import UserFactory
from tests.support.waiting import wait_until
from vendors.models import Vendor
from vendors.services import vendor_create


def _drop(store: Store) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{store.schema_name}" CASCADE')


@pytest.mark.django_db(transaction=True)
def test_provision_command_creates_schema_domain_and_tables(capsys):
    services.public_tenant_ensure()
    call_command("provision_store", "cmdshop", "--name", "Cmd Shop")
    store = Store.objects.get(schema_name="v_cmdshop")
    try:
        assert store.status == Store.Status.READY
        assert schema_exists("v_cmdshop")
        assert Domain.objects.filter(domain="cmdshop.marketplace.localhost", tenant=store).exists()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'v_cmdshop' AND table_name = 'catalog_product'"
            )
            assert cursor.fetchone()[0] == 1
        assert "ready at cmdshop.marketplace.localhost" in capsys.readouterr().out
        # Running it again is a no-op, not an error.
        call_command("provision_store", "cmdshop")
    finally:
        _drop(store)


@pytest.mark.parametrize("slug", ["www", "api", "ops", "x", "Bad_Slug", "-lead", "a--b"])
def test_provision_command_rejects_bad_or_reserved_slugs(db, slug):
    with pytest.raises(CommandError):
        call_command("provision_store", slug)


def test_slug_validation_messages():
    with pytest.raises(ApplicationError) as reserved:
        services.slug_validate("admin")
    assert reserved.value.code == "slug_reserved"
    assert services.slug_validate("  Good-Shop ") == "good-shop"


@pytest.mark.django_db(transaction=True)
def test_failed_provisioning_leaves_no_schema_and_can_be_retried():
    services.public_tenant_ensure()
    store = services.store_create(slug="clashing", name="Clashing")
    squatter = Store.objects.create(schema_name="v_squatter", name="Squatter")
    Domain.objects.create(domain="clashing.marketplace.localhost", tenant=squatter)
    try:
        with pytest.raises(ApplicationError):
            services.store_provision(store_id=store.pk)
        store.refresh_from_db()
        assert store.status == Store.Status.FAILED
        assert "belongs to another store" in store.provisioning_error
        assert not schema_exists("v_clashing")

        Domain.objects.filter(tenant=squatter).delete()
        store = services.store_provision(store_id=store.pk)
        assert store.status == Store.Status.READY
        assert store.provisioning_error == ""
        assert schema_exists("v_clashing")
    finally:
        _drop(store)


@pytest.mark.django_db(transaction=True)
def test_vendor_creation_provisions_in_a_celery_task(task_worker):
    services.public_tenant_ensure()
    owner = UserFactory(email="async-owner@example.com")
    vendor = vendor_create(slug="asyncshop", name="Async Shop", owner=owner)
    store = vendor.store
    try:
        store = wait_until(lambda: Store.objects.filter(pk=store.pk, status__in=(Store.Status.READY,
                                                                                  Store.Status.FAILED)).first(),
                           timeout=60, message="provisioning settled", interval=0.1)
        assert store.status == Store.Status.READY, store.provisioning_error
        assert schema_exists("v_asyncshop")
        assert Vendor.objects.get(slug="asyncshop").memberships.get().role == "owner"
    finally:
        _drop(store)


def test_money_allocation_sums_exactly():
    from common.money import allocate

    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(allocate(-1001, [3, 7, 11])) == -1001


@pytest.mark.django_db(transaction=True)
def test_new_schemas_are_cloned_from_a_migrated_template(settings):
    from django.db import connection

    services.public_tenant_ensure()
    base = settings.TENANT_BASE_SCHEMA
    assert base
    _drop(Store(schema_name=base))  # start without a template: the first provisioning builds it
    Store.objects.filter(schema_name=base).delete()
    store = services.store_create(slug="cloned", name="Cloned")
    other = services.store_create(slug="cloned2", name="Cloned 2")

    def migrations(schema: str) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY 1, 2')
            return cursor.fetchall()

    def tables(schema: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "ORDER BY 1", [schema],
            )
            return [row[0] for row in cursor.fetchall()]

    try:
        services.store_provision(store_id=store.pk)
        assert Store.objects.get(schema_name=base).status == Store.Status.READY
        assert schema_exists(base)
        # A table only the template has appears in the next store: it was cloned, not migrated.
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE TABLE "{base}".clone_marker (id int)')
        try:
            services.store_provision(store_id=other.pk)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{base}".clone_marker')
        assert "clone_marker" in tables("v_cloned2")
        assert "clone_marker" not in tables("v_cloned")
        # Identity columns got their own sequences: each schema numbers its rows from 1.
        from django_tenants.utils import schema_context

        from catalog.models import Product

        for schema in ("v_cloned", "v_cloned2"):
            with schema_context(schema):
                assert Product.objects.create(name="P", handle="p").pk == 1
        assert migrations("v_cloned") == migrations(base)
        assert tables("v_cloned") == tables(base)
        assert "catalog_product" in tables("v_cloned")
        # The template has no host: it is never served.
        assert not Domain.objects.filter(tenant__schema_name=base).exists()
    finally:
        _drop(store)
        _drop(other)
