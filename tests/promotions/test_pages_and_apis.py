"""The cart's "Apply code" form and API, the vendor's sales page and the ops console's coupons
page: clear errors in the project's formats, limits on guessing, each side sees only its own."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from orders import services
from promotions.models import CartCoupon, Promotion
from tests.factories.orders import sellable_variant
from tests.promotions.helpers import platform_coupon, vendor_promotion

pytestmark = pytest.mark.django_db

HOST = "marketplace.localhost"


def _cart(user, vendor, price=5000):
    variant = sellable_variant(vendor, price=price, stock=10)
    cart = services.cart_for(user=user, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=1)
    return cart


def test_the_cart_form_applies_a_code_with_htmx_and_shows_a_bad_one_next_to_the_field(client_for, buyer, vendor_a):
    cart = _cart(buyer, vendor_a)
    platform_coupon("TENOFF", amount=1000)
    client = client_for(HOST, buyer)

    bad = client.post("/cart/code/", {"code": "TENOF"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200  # swapped by htmx: the error shows next to the field
    assert "This code does not exist" in bad.content.decode()
    assert 'aria-invalid="true"' in bad.content.decode()
    assert not CartCoupon.objects.filter(cart=cart).exists()

    good = client.post("/cart/code/", {"code": "tenoff"}, HTTP_HX_REQUEST="true")
    body = good.content.decode()
    assert good.status_code == 200
    assert 'data-testid="applied-code">TENOFF<' in body
    assert 'id="cart-discount"' in body and "10.00" in body
    page = client.get("/checkout/").content.decode()
    assert 'id="summary-discount"' in page

    removed = client.post("/cart/code/", {"remove": "1"}, HTTP_HX_REQUEST="true")
    assert removed.status_code == 200 and "applied-code" not in removed.content.decode()


def test_the_api_answers_a_bad_code_in_the_project_error_format_and_a_good_one_with_the_priced_cart(
        client_for, buyer, vendor_a):
    _cart(buyer, vendor_a)
    platform_coupon("API5", amount=500)
    api = client_for(HOST, buyer)

    bad = api.post("/api/v1/cart/code/", json.dumps({"code": "NOPE"}), content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "coupon_unknown"
    assert bad.json()["error"]["fields"]["code"]

    good = api.post("/api/v1/cart/code/", json.dumps({"code": "api5"}), content_type="application/json")
    assert good.status_code == 200
    assert good.json()["code"] == {"code": "API5", "amount": 500, "problem": None}
    assert good.json()["discount_amount"] == 500
    item = good.json()["vendors"][0]["items"][0]
    assert item["discounts"] == [{"label": "API5", "amount": 500, "funded_by": "platform"}]

    gone = api.delete("/api/v1/cart/code/")
    assert gone.status_code == 200 and gone.json()["code"] is None


def test_guessing_codes_is_rate_limited_per_buyer(client_for, buyer, vendor_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "coupon": "3/10m/user"}
    _cart(buyer, vendor_a)
    page, api = client_for(HOST, buyer), client_for(HOST, buyer)
    answers = [page.post("/cart/code/", {"code": f"GUESS{i}"}, HTTP_HX_REQUEST="true") for i in range(3)]
    assert all("This code does not exist" in answer.content.decode() for answer in answers)
    assert page.post("/cart/code/", {"code": "GUESS9"}).status_code == 429
    limited = api.post("/api/v1/cart/code/", json.dumps({"code": "GUESS10"}), content_type="application/json")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert page.post("/cart/code/", {"remove": "1"}).status_code == 302  # removing is never limited


def test_a_vendor_schedules_a_sale_and_sees_only_its_own(client_for, owner_a, owner_b, vendor_a, vendor_b):
    theirs = vendor_promotion(vendor_b, "BRAVO10", percent_bp=1000)
    dashboard = client_for(vendor_a, owner_a)

    refused = dashboard.post("/dashboard/promotions/", {"name": "Half", "kind": "percent", "percent": "150"})
    assert refused.status_code == 422
    created = dashboard.post("/dashboard/promotions/", {
        "name": "Spring sale", "kind": "percent", "percent": "15", "starts_at": "2030-03-01T00:00",
        "ends_at": "2030-03-31T00:00"})
    assert created.status_code == 302
    sale = Promotion.objects.get(name="Spring sale")
    assert (sale.vendor_id, sale.funded_by, sale.percent_bp, sale.code) == (vendor_a.pk, "vendor", 1500, "")

    page = dashboard.get("/dashboard/promotions/").content.decode()
    assert "Spring sale" in page and "BRAVO10" not in page
    assert dashboard.post(f"/dashboard/promotions/{theirs.pk}/end/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
    # …and the other vendor's dashboard does not show vendor A's sale.
    assert "Spring sale" not in client_for(vendor_b, owner_b).get("/dashboard/promotions/").content.decode()


def test_a_vendor_host_connection_sees_no_other_vendor_promotion_rows(client_for, owner_a, vendor_a, vendor_b):
    """Row-level security (docs/adr/0047): even a raw query on vendor A's host cannot read B's rows."""
    vendor_promotion(vendor_a, "ALPHA1", percent_bp=1000)
    vendor_promotion(vendor_b, "BRAVO1", percent_bp=1000)
    platform_coupon("PLAT1", percent_bp=1000)
    from vendors.row_security import request_scope

    with request_scope(vendor_a.store.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT code FROM promotions_promotion ORDER BY code")
        seen = [row[0] for row in cursor.fetchall()]
    assert seen == ["ALPHA1"]


def test_ops_creates_a_platform_coupon_and_vendors_cannot_open_the_page(client_for, admin_user, owner_a):
    ops = client_for(HOST, admin_user)
    created = ops.post("/ops/promotions/", {"name": "Welcome", "code": "welcome5", "kind": "fixed",
                                            "amount": "5.00", "currency": "EUR", "max_uses_per_buyer": "1"})
    assert created.status_code == 302
    coupon = Promotion.objects.get(code="WELCOME5")
    assert (coupon.vendor_id, coupon.funded_by, coupon.amount, coupon.max_uses_per_buyer) == (None, "platform", 500, 1)
    taken = ops.post("/ops/promotions/", {"name": "Again", "code": "Welcome5", "kind": "percent", "percent": "5"})
    assert taken.status_code == 422 and "already uses this code" in taken.content.decode()
    assert "WELCOME5" in ops.get("/ops/promotions/").content.decode()
    assert client_for(HOST, owner_a).get("/ops/promotions/").status_code in (403, 404)
