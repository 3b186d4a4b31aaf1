"""The analytics pages: date ranges, charts with their tables, CSV export, and isolation between
vendors through the pages, the export, the report cache and product ids."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from analytics import rollups
from analytics.services import events_insert

pytestmark = pytest.mark.django_db
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "KEY_FUNCTION": "common.cache.make_key"}}


def _sales(today, vendor, *, amount, orders=1, product=1, visitors=2):
    moment = datetime.combine(today, time(9), tzinfo=UTC)
    events_insert(
        [{"occurred_at": moment, "kind": "view", "visitor": f"{vendor.pk:04d}{n:028d}", "vendor_id": vendor.pk,
          "product_id": product} for n in range(visitors)]
        + [{"occurred_at": moment, "kind": "purchase", "vendor_id": vendor.pk, "product_id": product,
            "order_id": vendor.pk * 1000 + n, "quantity": 1, "amount": amount, "currency": "EUR"}
           for n in range(orders)])
    rollups.day_rollup(today)


def test_vendor_page_shows_own_figures_with_charts_and_tables(client_for, vendor_a, owner_a, vendor_b, today):
    _sales(today, vendor_a, amount=4200, orders=1, visitors=4)
    _sales(today, vendor_b, amount=99900, orders=3)
    response = client_for(vendor_a, owner_a).get("/dashboard/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-metric="revenue">42.00 EUR' in html.replace("\xa0", "")
    assert 'data-metric="conversion">25.0%' in html
    assert "999" not in html  # nothing of vendor B's
    assert html.count('<svg class="chart"') == 2 and 'role="img"' in html
    assert 'data-table="daily"' in html and 'data-table="top-products"' in html


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-03-10&end=2026-03-01", "before its start"),
    ("start=2023-01-01&end=2026-01-01", "at most two years"),
    ("start=yesterday&end=2026-01-01", "Enter a valid date"),
])
def test_bad_date_ranges_are_form_errors(client_for, vendor_a, owner_a, query, message):
    response = client_for(vendor_a, owner_a).get(f"/dashboard/analytics/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    export = client_for(vendor_a, owner_a).get(f"/dashboard/analytics/export.csv?{query}")
    assert export.status_code == 400 and export["Content-Type"].startswith("text/html")


def test_csv_export_holds_only_the_vendors_own_days(client_for, vendor_a, owner_a, vendor_b, today):
    _sales(today, vendor_a, amount=4200, orders=2)
    _sales(today, vendor_b, amount=77700, orders=1)
    response = client_for(vendor_a, owner_a).get(f"/dashboard/analytics/export.csv?start={today}&end={today}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines == ["date,visits,orders,revenue (EUR)", f"{today.isoformat()},2,2,84.00"]


def test_another_vendors_member_gets_404_and_the_cache_is_not_shared(client_for, vendor_a, owner_a, vendor_b,
                                                                     owner_b, today):
    _sales(today, vendor_a, amount=4200)
    _sales(today, vendor_b, amount=77700)
    with override_settings(CACHES=LOCMEM):
        assert client_for(vendor_a, owner_b).get("/dashboard/analytics/").status_code == 404
        assert client_for(vendor_a, owner_b).get("/dashboard/analytics/export.csv").status_code == 404
        first = client_for(vendor_a, owner_a).get("/dashboard/analytics/").content.decode().replace("\xa0", "")
        second = client_for(vendor_b, owner_b).get("/dashboard/analytics/").content.decode().replace("\xa0", "")
    assert "42.00 EUR" in first and "777.00 EUR" not in first
    assert "777.00 EUR" in second and "42.00 EUR" not in second


def test_a_vendor_asking_for_another_vendors_product_gets_404(client_for, vendor_a, owner_a, vendor_b, owner_b):
    from catalog.models import Product

    with schema_context(vendor_b.store.schema_name):
        theirs = Product.objects.create(id=987_654_321, name="Their Kettle", handle="their-kettle", status="active")
    assert client_for(vendor_b, owner_b).get(f"/dashboard/analytics/products/{theirs.pk}/").status_code == 200
    assert client_for(vendor_a, owner_a).get(f"/dashboard/analytics/products/{theirs.pk}/").status_code == 404


def test_staff_without_money_rights_are_refused(client_for, vendor_a):
    from tests.factories import MembershipFactory

    staff = MembershipFactory(vendor=vendor_a, role="staff").user
    assert client_for(vendor_a, staff).get("/dashboard/analytics/").status_code == 403


def test_ops_page_for_finance_only(client_for, platform_client, finance_user, buyer, vendor_a, today):
    _sales(today, vendor_a, amount=5000, orders=2)
    platform_client.force_login(buyer)
    assert platform_client.get("/ops/analytics/").status_code == 403
    platform_client.force_login(finance_user)
    response = platform_client.get("/ops/analytics/")
    assert response.status_code == 200
    html = response.content.decode().replace("\xa0", "")
    assert 'data-metric="gmv">100.00 EUR' in html
    assert html.count('<svg class="chart"') == 4
    assert 'data-table="funnel"' in html and 'data-table="vendors"' in html
    bad = platform_client.get(f"/ops/analytics/?start={today}&end={today - timedelta(days=1)}")
    assert bad.status_code == 400 and "before its start" in bad.content.decode()
