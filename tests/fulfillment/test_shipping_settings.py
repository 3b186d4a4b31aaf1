"""Vendor shipping settings: the API (CRUD, 4xx JSON errors, nothing half-written), the dashboard
pages (forms, htmx), roles (only owners and managers change) and isolation between vendors."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from fulfillment.shipping.models import ShippingMethod, ShippingRateBand, ShippingZone
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ZONE: dict[str, Any] = {
    "name": "Nordics", "countries": ["se", "NO", "DK"],
    "methods": [
        {"name": "Standard", "rate_kind": "flat", "flat_amount": 590, "free_over_amount": 6000,
         "handling_days": 1, "transit_days_min": 2, "transit_days_max": 4},
        {"name": "Express", "kind": "express", "rate_kind": "weight", "bands": [
            {"lower": 0, "upper": 2000, "amount": 1290}, {"lower": 2000, "upper": None, "amount": 1990}],
         "handling_days": 0, "transit_days_min": 1, "transit_days_max": 2},
    ],
}


def _api(vendor: Any, user: Any) -> APIClient:
    api = APIClient(HTTP_HOST=vendor.host)
    api.force_authenticate(user)
    return api


def _rows(in_schema: Any, vendor: Any) -> tuple[int, int, int]:
    with in_schema(vendor):
        return ShippingZone.objects.count(), ShippingMethod.objects.count(), ShippingRateBand.objects.count()


def _zone(**changes: Any) -> dict[str, Any]:
    zone = copy.deepcopy(ZONE)
    zone.update(changes)
    return zone


def test_create_read_replace_delete_a_zone(vendor_a, owner_a, in_schema):
    api = _api(vendor_a, owner_a)
    created = api.post("/api/v1/vendor/shipping/zones/", ZONE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["countries"] == ["SE", "NO", "DK"]
    assert [(m["name"], m["kind"], m["rate_kind"]) for m in body["methods"]] == [
        ("Standard", "standard", "flat"), ("Express", "express", "weight")]
    assert body["methods"][1]["bands"] == [{"lower": 0, "upper": 2000, "amount": 1290},
                                           {"lower": 2000, "upper": None, "amount": 1990}]
    zone_id = body["id"]
    listed = api.get("/api/v1/vendor/shipping/zones/").json()  # a page, like every API list (ADR 0043)
    assert "Nordics" in [zone["name"] for zone in listed["results"]]
    replaced = api.put(f"/api/v1/vendor/shipping/zones/{zone_id}/",
                       _zone(name="Scandinavia", methods=[ZONE["methods"][0]]), format="json")
    assert replaced.status_code == 200 and replaced.json()["name"] == "Scandinavia"
    assert len(replaced.json()["methods"]) == 1
    assert api.delete(f"/api/v1/vendor/shipping/zones/{zone_id}/").status_code == 204
    assert api.get(f"/api/v1/vendor/shipping/zones/{zone_id}/").status_code == 404


@pytest.mark.parametrize(("zone", "field", "words"), [
    (_zone(methods=[]), "methods", "at least one shipping method"),
    (_zone(countries=["DE", "XX", "Germany"]), "countries", "Unknown country codes: XX, GERMANY"),
    (_zone(countries=[]), "countries", "List the countries"),
    (_zone(regions=["FR-75"]), "regions", "a country this zone does not list"),
    (_zone(methods=[{"name": "S", "flat_amount": -1}]), "methods.0.flat_amount", "cannot be negative"),
    (_zone(methods=[{"name": "S", "flat_amount": 1, "free_over_amount": -5}]), "methods.0.free_over_amount",
     "cannot be negative"),
    (_zone(methods=[{"name": "W", "rate_kind": "weight", "bands": [
        {"lower": 0, "upper": 1000, "amount": 100}, {"lower": 500, "upper": 2000, "amount": 200}]}]),
     "methods.0.bands", "Bands overlap: 0–1000 and 500–2000"),
    (_zone(methods=[{"name": "W", "rate_kind": "value", "bands": [
        {"lower": 0, "upper": None, "amount": 100}, {"lower": 5000, "upper": None, "amount": 0}]}]),
     "methods.0.bands", "Bands overlap"),
    (_zone(methods=[{"name": "W", "rate_kind": "weight", "bands": [{"lower": 0, "upper": 10, "amount": -1}]}]),
     "methods.0.bands", "cannot be negative"),
    (_zone(methods=[{"name": "W", "rate_kind": "weight", "bands": []}]), "methods.0.bands", "at least one band"),
    (_zone(methods=[{"name": "S", "kind": "drone"}]), "methods.0.kind", "standard, express or pickup"),
    (_zone(methods=[{"name": "S", "transit_days_min": 5, "transit_days_max": 2}]), "methods.0.transit_days_max",
     "cannot be shorter"),
])
def test_bad_settings_are_a_400_with_the_field_and_nothing_written(vendor_a, owner_a, in_schema, zone, field, words):
    before = _rows(in_schema, vendor_a)
    answer = _api(vendor_a, owner_a).post("/api/v1/vendor/shipping/zones/", zone, format="json")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_shipping_settings"
    assert any(words in message for message in error["fields"][field]), error
    assert _rows(in_schema, vendor_a) == before


def test_zones_may_not_share_a_country_region_or_the_rest_of_the_world(vendor_a, owner_a, in_schema):
    api = _api(vendor_a, owner_a)
    assert api.post("/api/v1/vendor/shipping/zones/", _zone(countries=["SE", "US"], regions=["US-CA"]),
                    format="json").status_code == 201
    # The factory's default is a rest-of-the-world zone already.
    clash = api.post("/api/v1/vendor/shipping/zones/", _zone(name="Again", countries=["SE"]), format="json")
    assert clash.status_code == 400 and "Already in the zone Nordics: SE." in clash.json()["error"]["fields"]["countries"]
    region = api.post("/api/v1/vendor/shipping/zones/", _zone(name="CA", countries=["US"], regions=["US-CA"]),
                      format="json")
    assert region.status_code == 400 and "US-CA" in region.json()["error"]["message"]
    # Another US state is fine: the first zone serves only California.
    assert api.post("/api/v1/vendor/shipping/zones/", _zone(name="NY", countries=["US"], regions=["US-NY"]),
                    format="json").status_code == 201
    world = api.post("/api/v1/vendor/shipping/zones/", _zone(name="World 2", countries=[], rest_of_world=True),
                     format="json")
    assert world.status_code == 400 and "already serves the rest of the world" in world.json()["error"]["message"]


def test_staff_read_but_only_owners_and_managers_change(client_for, vendor_a, owner_a, in_schema):
    staff = MembershipFactory(vendor=vendor_a, role="staff").user
    manager = MembershipFactory(vendor=vendor_a, role="manager").user
    before = _rows(in_schema, vendor_a)
    assert _api(vendor_a, staff).get("/api/v1/vendor/shipping/zones/").status_code == 200
    refused = _api(vendor_a, staff).post("/api/v1/vendor/shipping/zones/", ZONE, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert _rows(in_schema, vendor_a) == before
    assert _api(vendor_a, manager).post("/api/v1/vendor/shipping/zones/", ZONE, format="json").status_code == 201
    page = client_for(vendor_a, staff)
    assert page.get("/dashboard/settings/shipping/").status_code == 200
    assert page.get("/dashboard/settings/shipping/zones/new/").status_code == 403


def test_vendor_a_cannot_read_or_change_vendor_bs_zones(client_for, vendor_a, vendor_b, owner_a, owner_b, in_schema):
    created = _api(vendor_b, owner_b).post("/api/v1/vendor/shipping/zones/", _zone(name="Bravo secret zone"),
                                           format="json")
    zone_id = created.json()["id"]
    before = _rows(in_schema, vendor_b)
    on_own_host = _api(vendor_a, owner_a)
    assert "Bravo secret zone" not in str(on_own_host.get("/api/v1/vendor/shipping/zones/").json())
    assert on_own_host.get(f"/api/v1/vendor/shipping/zones/{zone_id}/").status_code == 404
    assert on_own_host.put(f"/api/v1/vendor/shipping/zones/{zone_id}/", ZONE, format="json").status_code == 404
    assert on_own_host.delete(f"/api/v1/vendor/shipping/zones/{zone_id}/").status_code == 404
    on_b_host = _api(vendor_b, owner_a)
    assert on_b_host.get("/api/v1/vendor/shipping/zones/").status_code == 403
    assert on_b_host.delete(f"/api/v1/vendor/shipping/zones/{zone_id}/").status_code == 403
    pages = client_for(vendor_a, owner_a)
    assert pages.get(f"/dashboard/settings/shipping/zones/{zone_id}/").status_code == 404
    assert pages.post(f"/dashboard/settings/shipping/zones/{zone_id}/delete/").status_code == 404
    assert "Bravo secret zone" not in pages.get("/dashboard/settings/shipping/").content.decode()
    assert client_for(vendor_b, owner_a).get("/dashboard/settings/shipping/").status_code == 404
    assert _rows(in_schema, vendor_b) == before


def test_dashboard_zone_with_weight_bands_then_an_express_method_by_htmx(client_for, vendor_a, owner_a, in_schema):
    client = client_for(vendor_a, owner_a)
    new = client.post("/dashboard/settings/shipping/zones/new/", {
        "zone-name": "Switzerland", "zone-countries": "ch, li", "method-name": "Post", "method-kind": "standard",
        "method-rate_kind": "weight", "method-bands": "0 1000 7.00\n1000 * 12.50", "method-handling_days": 1,
        "method-transit_days_min": 2, "method-transit_days_max": 4,
    })
    assert new.status_code == 302, new.content.decode()
    with in_schema(vendor_a):
        zone = ShippingZone.objects.get(name="Switzerland")
        assert zone.countries == ["CH", "LI"]
        assert list(zone.methods.get().bands.values_list("lower", "upper", "amount")) == [(0, 1000, 700), (1000, None, 1250)]
    added = client.post(f"/dashboard/settings/shipping/zones/{zone.pk}/methods/", {
        "method-name": "Express", "method-kind": "express", "method-rate_kind": "flat", "method-flat_price": "19.90",
        "method-handling_days": 0, "method-transit_days_min": 1, "method-transit_days_max": 1,
    }, HTTP_HX_REQUEST="true")
    html = added.content.decode()
    assert added.status_code == 200 and "<html" not in html and "Express" in html and "19.90" in html
    page = client.get("/dashboard/settings/shipping/").content.decode()
    assert "Switzerland" in page and "1000–∞ g" in page


def test_dashboard_form_errors_and_nothing_written(client_for, vendor_a, owner_a, in_schema):
    client = client_for(vendor_a, owner_a)
    before = _rows(in_schema, vendor_a)
    bad = client.post("/dashboard/settings/shipping/zones/new/", {
        "zone-name": "Odd", "zone-countries": "DE, ZZ", "method-name": "Post", "method-kind": "standard",
        "method-rate_kind": "weight", "method-bands": "0 1000 7.00\n500 * 9.00", "method-handling_days": 1,
        "method-transit_days_min": 2, "method-transit_days_max": 4,
    })
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "Unknown country codes: ZZ" in html and "Bands overlap" in html
    assert _rows(in_schema, vendor_a) == before


def test_the_last_method_of_a_zone_stays(client_for, vendor_a, owner_a, in_schema):
    created = _api(vendor_a, owner_a).post("/api/v1/vendor/shipping/zones/", _zone(methods=[ZONE["methods"][0]]),
                                           format="json").json()
    method_id = created["methods"][0]["id"]
    answer = client_for(vendor_a, owner_a).post(
        f"/dashboard/settings/shipping/zones/{created['id']}/methods/{method_id}/delete/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and "delete the zone instead" in answer.content.decode()
    with in_schema(vendor_a):
        assert ShippingMethod.objects.filter(pk=method_id).exists()


def test_a_signed_in_outsider_gets_no_dashboard(client_for, vendor_a):
    outsider = UserFactory()
    assert client_for(vendor_a, outsider).get("/dashboard/settings/shipping/").status_code == 404
