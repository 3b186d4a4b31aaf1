"""Demo data for `make run`: platform users, a few live vendors with products. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.services import public_tenant_ensure
from vendors.models import Vendor
from vendors.services import vendor_create

DEMO_PASSWORD = "demo-pass-1234"

DEMO_VENDORS = [
    ("acme", "Acme Outdoor", "EUR", "DE", [
        ("Trail Backpack 30L", "ACME-BP30", 8900, 25),
        ("Merino Hiking Socks", "ACME-SOCK", 1900, 120),
        ("Aluminium Trekking Poles", "ACME-POLE", 5900, 3),
    ]),
    ("globex", "Globex Kitchen", "EUR", "FR", [
        ("Cast Iron Skillet 28cm", "GLX-SKILLET", 4500, 40),
        ("Chef's Knife 20cm", "GLX-KNIFE", 7900, 12),
        ("Espresso Cups (set of 4)", "GLX-CUPS", 2400, 60),
    ]),
    ("initech", "Initech Office", "EUR", "NL", [
        ("Ergonomic Desk Lamp", "INI-LAMP", 6900, 18),
        ("Red Stapler", "INI-STAPLER", 1500, 200),
    ]),
]


@dataclass
class DemoLogins:
    rows: list[tuple[str, str, str]] = field(default_factory=list)


def _user(email: str, *, full_name: str, platform_role: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=full_name, platform_role=platform_role
        )
    return user


def demo_seed() -> DemoLogins:
    from catalog.demo import demo_catalog_seed
    from marketplace.demo import demo_categories_seed
    from marketplace.services import listings_rebuild

    logins = DemoLogins()
    public_tenant_ensure()
    with transaction.atomic():
        admin = _user("admin@example.com", full_name="Ada Admin", platform_role="admin")
        finance = _user("finance@example.com", full_name="Finn Finance", platform_role="finance")
        buyer = _user("buyer@example.com", full_name="Bea Buyer")
    logins.rows += [
        ("platform admin", admin.email, "/ops/"),
        ("finance", finance.email, "/ops/"),
        ("buyer", buyer.email, "/"),
    ]
    demo_categories_seed()
    for slug, name, currency, country, products in DEMO_VENDORS:
        owner = _user(f"owner@{slug}.example.com", full_name=f"{name} Owner")
        vendor = Vendor.objects.filter(slug=slug).first()
        if vendor is None:
            vendor = vendor_create(
                slug=slug, name=name, owner=owner, currency=currency, country=country,
                status=Vendor.Status.ACTIVE, provision_now=True,
            )
            Vendor.objects.filter(pk=vendor.pk).update(
                charges_enabled=True, payouts_enabled=True,
                description=f"{name}: demo store of the marketplace.",
            )
        if vendor.store is None:
            raise RuntimeError(f"The demo vendor “{slug}” exists without a store.")
        with schema_context(vendor.store.schema_name):
            demo_catalog_seed(products=products, currency=currency)
        from orders.services import shipping_rates_demo_seed

        shipping_rates_demo_seed(vendor=vendor)
        logins.rows.append((f"vendor owner ({slug})", owner.email, f"{vendor.host}/dashboard/"))
    from payouts.demo import demo_commission_rule_seed

    demo_commission_rule_seed()  # 10 % platform default; paid demo orders: `seed_demo_money`
    from vendors.demo import demo_applications_seed

    logins.rows += demo_applications_seed(password=DEMO_PASSWORD)
    # Project the demo catalogs into the marketplace now (the relay would do it within seconds).
    listings_rebuild()
    return logins
