"""Claims API: buyer, vendor and ops endpoints, error bodies, and the full accept / escalate / decide paths."""

from __future__ import annotations

import pytest

from disputes.models import Claim
from tests.factories.orders import paid_orders, sellable_variant

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


def _create(client, order, vendor, qty=1, reason="damaged"):
    sub = order.sub_orders.get(vendor=vendor)
    return client.post("/api/v1/claims/", {
        "order_id": order.pk, "sub_order_id": sub.pk, "reason": reason, "description": "Broken",
        "lines": [{"order_line_id": sub.lines.first().pk, "quantity": qty}],
    }, content_type="application/json")


def test_buyer_creates_and_lists(client_for, buyer, vendor_a, paid_order, django_assert_max_num_queries):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 2))
    api = client_for("marketplace.localhost", buyer)
    response = _create(api, order, vendor_a, qty=2)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["lines"][0]["quantity"] == 2 and body["vendor"] == "alpha"
    with django_assert_max_num_queries(10):
        listing = api.get("/api/v1/claims/")
    assert [c["id"] for c in listing.json()["results"]] == [body["id"]]
    assert api.get(f"/api/v1/claims/{body['id']}/").json()["number"] == body["number"]


def test_bad_input_gives_clear_4xx(client_for, buyer, vendor_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    api = client_for("marketplace.localhost", buyer)
    response = api.post("/api/v1/claims/", {"order_id": order.pk}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert "reason" in response.json()["error"]["fields"]
    over = _create(api, order, vendor_a, qty=3)
    assert over.status_code == 400 and over.json()["error"]["code"] == "claim_invalid"
    assert _create(api, order, vendor_a).status_code == 201
    again = _create(api, order, vendor_a)
    assert again.status_code == 409 and again.json()["error"]["code"] == "claim_already_open"
    assert Claim.objects.count() == 1
    assert api.get("/api/v1/claims/999999/").status_code == 404


def test_vendor_accepts_partial_via_api(client_for, buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim_id = _create(client_for("marketplace.localhost", buyer), order, vendor_a).json()["id"]
    vendor_api = client_for(vendor_a, owner_a)
    assert [c["id"] for c in vendor_api.get("/api/v1/vendor/claims/").json()["results"]] == [claim_id]
    too_much = vendor_api.post(f"/api/v1/vendor/claims/{claim_id}/accept/", {"amount": 5000},
                               content_type="application/json")
    assert too_much.status_code == 400 and too_much.json()["error"]["code"] == "over_refund"
    ok = vendor_api.post(f"/api/v1/vendor/claims/{claim_id}/accept/", {"amount": 400}, content_type="application/json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "resolved_refund_partial" and ok.json()["refunded_amount"] == 400
    again = vendor_api.post(f"/api/v1/vendor/claims/{claim_id}/reject/", {"reason": "x"},
                            content_type="application/json")
    assert again.status_code == 409


def test_reject_escalate_decide_via_api(client_for, buyer, vendor_a, owner_a, admin_user, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    buyer_api = client_for("marketplace.localhost", buyer)
    claim_id = _create(buyer_api, order, vendor_a).json()["id"]
    vendor_api = client_for(vendor_a, owner_a)
    assert vendor_api.post(f"/api/v1/vendor/claims/{claim_id}/reject/", {"reason": "Fine when shipped"},
                           content_type="application/json").status_code == 200
    message = buyer_api.post(f"/api/v1/claims/{claim_id}/messages/", {"body": "It was not"},
                             content_type="application/json")
    assert message.status_code == 201 and message.json()["messages"][0]["role"] == "buyer"
    assert buyer_api.post(f"/api/v1/claims/{claim_id}/escalate/").json()["status"] == "escalated"
    ops = client_for("marketplace.localhost", admin_user)
    assert [c["id"] for c in ops.get("/api/v1/ops/claims/").json()["results"]] == [claim_id]
    bad = ops.post(f"/api/v1/ops/claims/{claim_id}/decisions/", {"outcome": "refund_partial", "liability": "split"},
                   content_type="application/json")
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["fields"]
    decided = ops.post(f"/api/v1/ops/claims/{claim_id}/decisions/",
                       {"outcome": "refund_partial", "amount": 600, "liability": "split", "vendor_amount": 200,
                        "note": "Half and half"}, content_type="application/json")
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "resolved_refund_partial" and decided.json()["liability"] == "split"
    second = ops.post(f"/api/v1/ops/claims/{claim_id}/decisions/", {"outcome": "deny"},
                      content_type="application/json")
    assert second.status_code == 409 and second.json()["error"]["code"] == "claim_already_decided"


def test_ops_api_needs_admin(client_for, buyer, finance_user):
    assert client_for("marketplace.localhost", buyer).get("/api/v1/ops/claims/").status_code == 403
    assert client_for("marketplace.localhost", finance_user).get("/api/v1/ops/claims/").status_code == 403
    assert client_for("marketplace.localhost").get("/api/v1/claims/").status_code in (401, 403)


def test_openapi_schema_lists_claims_endpoints(client_for, admin_user):
    from drf_spectacular.generators import SchemaGenerator

    def operations(urlconf):
        schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
        return {op["operationId"] for path in schema["paths"].values() for op in path.values()}

    assert {"claims_create", "claims_escalate", "ops_claims_decide"} <= operations("config.urls_public")
    assert {"vendor_claims_accept", "vendor_claims_return_received"} <= operations("config.urls_tenants")
