"""Demo data for `make run`: platform users, a dozen live stores with pictured catalogs. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify
from django_tenants.utils import schema_context

from accounts.models import User
from demo.stores import DEMO_PASSWORD, DEMO_STORES, PLATFORM_LOGINS, Store
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


def _user(email: str, *, full_name: str, platform_role: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=full_name, platform_role=platform_role
        )
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
    owner = _user(store.owner_email, full_name=f"{store.name} Owner")
    vendor = Vendor.objects.filter(slug=store.slug).first()
    if vendor is None:
        vendor = vendor_create(
            slug=store.slug, name=store.name, owner=owner, currency=store.currency,
            country=store.country, status=Vendor.Status.ACTIVE, provision_now=True,
        )
        Vendor.objects.filter(pk=vendor.pk).update(
            charges_enabled=True, payouts_enabled=True, description=store.tagline,
        )
        vendor.refresh_from_db()
    if vendor.store is None:
        raise RuntimeError(f"The demo vendor “{store.slug}” exists without a store.")
    return vendor


def demo_featured_pick(*, count: int = FEATURED) -> None:
    """Hand-pick the first product of as many stores as `count` for the home page (once: picks an
    operator changed later stay as they are)."""
    from marketplace.models import Listing
    from marketplace.services import listing_feature_set

    if Listing.objects.filter(featured_position__isnull=False).exists():
        return
    picked = 0
    for store in DEMO_STORES:
        listing = (Listing.objects.filter(vendor__slug=store.slug, status=Listing.Status.ACTIVE, in_stock=True)
                   .order_by("product_id").first())
        if listing is not None and picked < count:
            listing_feature_set(listing_id=listing.pk, position=picked + 1)
            picked += 1


def demo_seed(*, stores: int | None = None, products_per_store: int = PRODUCTS_PER_STORE) -> DemoLogins:
    """Everything but money (`demo_history_seed` adds 90 days of orders). `stores` and
    `products_per_store` make a smaller demo for tests."""
    from catalog.models import Product
    from marketplace.services import listings_rebuild
    from orders.services import shipping_rates_demo_seed
    from payouts.demo import demo_commission_rule_seed
    from vendors.demo import demo_applications_seed

    chosen = DEMO_STORES[: stores or len(DEMO_STORES)]
    logins = DemoLogins()
    public_tenant_ensure()
    with transaction.atomic():
        for who, email, full_name, role in PLATFORM_LOGINS:
            _user(email, full_name=full_name, platform_role=role)
            logins.rows.append((who, email, "/ops/" if role else "/"))
    categories = demo_categories_seed(chosen)
    created_for: list[int] = []
    for store in chosen:
        vendor = _vendor(store)
        assert vendor.store is not None  # _vendor checked it
        from demo.catalog import store_catalog_seed

        with schema_context(vendor.store.schema_name):
            made = store_catalog_seed(store, products=products_per_store, categories=categories)
            logins.created_products += made
            if made or not Product.objects.exists():
                created_for.append(vendor.pk)
        shipping_rates_demo_seed(vendor=vendor)
        logins.rows.append((f"{store.name} ({store.currency})", store.owner_email, f"{vendor.host}/dashboard/"))
    demo_commission_rule_seed()
    logins.rows += demo_applications_seed(password=DEMO_PASSWORD)
    if created_for:
        # Project the new catalogs into the marketplace now (the relay would within seconds).
        listings_rebuild(vendor_ids=created_for)
    demo_featured_pick()
    return logins
