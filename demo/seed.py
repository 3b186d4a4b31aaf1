"""Demo data for `make run`: platform users, a dozen live stores with pictured catalogs. Idempotent."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify
from django_tenants.utils import schema_context

from accounts.models import User
from demo.stores import DEMO_PASSWORD, DEMO_STORES, PLATFORM_LOGINS, STORES_BY_SLUG, Store
from tenants.services import public_tenant_ensure
from vendors.models import Vendor
from vendors.services import vendor_create

__all__ = ["DEMO_PASSWORD", "DemoLogins", "demo_seed"]

PRODUCTS_PER_STORE = 25
FEATURED = 8


@dataclass
class DemoLogins:
    # (who, email, where): `where` is a path on the marketplace or a store's host with a path.
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    created_products: int = 0


@functools.lru_cache(maxsize=1)
def _password_hash() -> str:
    # Hashed once: at a few hundred milliseconds a hash, one per demo account would cost seconds.
    return make_password(DEMO_PASSWORD)


def demo_user_ensure(email: str, *, full_name: str, platform_role: str = "") -> User:
    """The demo account with this email, made with the demo password if missing."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=full_name, platform_role=platform_role)
        user.password = _password_hash()
        user.save(update_fields=["password"])
    return user


def demo_categories_seed(stores: tuple[Store, ...]) -> dict[str, int]:
    """The departments and shelves of the stores; returns path → category id."""
    from marketplace.models import Category
    from marketplace.services import category_create

    for store in stores:
        department = Category.objects.filter(path=slugify(store.department)).first() or category_create(
            name=store.department)
        for shelf in store.shelves:
            if not Category.objects.filter(path=f"{department.path}/{slugify(shelf.category)}").exists():
                category_create(name=shelf.category, parent=department)
    return dict(Category.objects.values_list("path", "pk"))


def _vendor(store: Store) -> Vendor:
    """The store's vendor, its schema provisioned later (`demo_store_seed`)."""
    owner = demo_user_ensure(store.owner_email, full_name=f"{store.name} Owner")
    vendor = Vendor.objects.filter(slug=store.slug).select_related("store").first()
    if vendor is None:
        vendor = vendor_create(
            slug=store.slug, name=store.name, owner=owner, currency=store.currency,
            country=store.country, status=Vendor.Status.ACTIVE, queue_provisioning=False,
        )
        Vendor.objects.filter(pk=vendor.pk).update(
            charges_enabled=True, payouts_enabled=True, description=store.tagline,
        )
        vendor.refresh_from_db()
    if vendor.store is None:
        raise RuntimeError(f"The demo vendor “{store.slug}” exists without a store.")
    return vendor


def _feature_first_product(vendor: Vendor, position: int) -> None:
    """The home page's hand-picks: one product of each of the first stores, in the stores' order
    (set once: an operator's later picks stay)."""
    from marketplace.models import Listing
    from marketplace.services import listing_feature_set

    if position > FEATURED or Listing.objects.filter(featured_position=position).exists():
        return
    listing = (Listing.objects.filter(vendor=vendor, status=Listing.Status.ACTIVE, in_stock=True)
               .order_by("product_id").first())
    if listing is not None:
        listing_feature_set(listing_id=listing.pk, position=position)


def demo_store_seed(*, slug: str, products: int = PRODUCTS_PER_STORE) -> int:
    """One store's schema, catalog, listings, hand-pick and shipping zones (idempotent); returns
    how many products it made."""
    from demo.catalog import store_catalog_seed
    from fulfillment.shipping.services import shipping_demo_seed
    from marketplace.models import Category
    from marketplace.services import listings_rebuild
    from orders.delivery import EUROPE
    from tenants.services import store_provision

    store = STORES_BY_SLUG[slug]
    vendor = Vendor.objects.select_related("store").get(slug=slug)
    assert vendor.store is not None  # demo vendors are made with their store
    store_provision(store_id=vendor.store.pk)
    categories = dict(Category.objects.values_list("path", "pk"))
    with schema_context(vendor.store.schema_name):
        made = store_catalog_seed(store, products=products, categories=categories)
        shipping_demo_seed(home_country=vendor.country, europe=EUROPE)
    if made:
        # Project the new catalog now (the relay would within seconds).
        listings_rebuild(vendor_ids=[vendor.pk])
    _feature_first_product(vendor, DEMO_STORES.index(store) + 1)
    return len(made)


def demo_seed(*, stores: int | None = None, products_per_store: int = PRODUCTS_PER_STORE,
              in_background: bool = False) -> DemoLogins:
    """Users, categories and the stores' vendors now; each store's schema and catalog now, or
    with `in_background` by one task per store (`make run`: the site answers while they fill).
    `stores` and `products_per_store` make a smaller demo for tests."""
    from orders.currency import rates_refresh
    from payouts.demo import demo_commission_rule_seed
    from vendors.demo import demo_applications_seed

    chosen = DEMO_STORES[: stores or len(DEMO_STORES)]
    logins = DemoLogins()
    public_tenant_ensure()
    with transaction.atomic():
        for who, email, full_name, role in PLATFORM_LOGINS:
            demo_user_ensure(email, full_name=full_name, platform_role=role)
            logins.rows.append((who, email, "/ops/" if role else "/"))
    demo_categories_seed(chosen)
    for store in chosen:
        vendor = _vendor(store)
        logins.rows.append((f"{store.name} ({store.currency})", store.owner_email, f"{vendor.host}/dashboard/"))
    demo_commission_rule_seed()
    # Today's rates, so a cart of several stores' currencies converts from the first start.
    rates_refresh()
    logins.rows += demo_applications_seed(password=DEMO_PASSWORD)
    for store in chosen:
        if in_background:
            from demo.tasks import demo_store_seed_task

            demo_store_seed_task.delay(store.slug, products_per_store)
        else:
            logins.created_products += demo_store_seed(slug=store.slug, products=products_per_store)
    return logins
