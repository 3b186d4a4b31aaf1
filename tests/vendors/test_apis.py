"""Onboarding API: applicant flow, admin decisions, error bodies, permissions of each role."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.support.state import rows
from tests.support.uploads import pdf_upload
from vendors.models import AuditEntry, Invitation, Membership, Vendor, VendorApplication

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


@pytest.fixture
def api(client_for):
    def make(user=None):
        return client_for(HOST, user)
    return make


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_applicant_flow_create_patch_upload_submit(api, applicant, category):
    client = api(applicant)
    created = client.post("/api/v1/applications/", {"business_name": "Api Shop"},
                          content_type="application/json")
    assert created.status_code == 201
    app_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    patch = client.patch(f"/api/v1/applications/{app_id}/", {
        "legal_form": "company", "country": "fr", "currency": "eur", "contact_name": "Ann",
        "contact_email": "ann@example.com", "slug": "api-shop", "categories": [category.pk],
        "description": "Things",
    }, content_type="application/json")
    assert patch.status_code == 200, patch.content
    assert (patch.json()["country"], patch.json()["currency"]) == ("FR", "EUR")
    incomplete = client.post(f"/api/v1/applications/{app_id}/submit/")
    assert _error(incomplete, 400, "application_incomplete")["fields"] == {"documents": ["required"]}
    upload = client.post(f"/api/v1/applications/{app_id}/documents/",
                         {"file": pdf_upload(), "kind": "registration"})
    assert upload.status_code == 201
    assert upload.json()["content_type"] == "application/pdf"
    submitted = client.post(f"/api/v1/applications/{app_id}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    again = client.post(f"/api/v1/applications/{app_id}/submit/")
    _error(again, 409, "invalid_transition")
    detail = client.get(f"/api/v1/applications/{app_id}/").json()
    assert [entry["action"] for entry in detail["history"]] == ["application.submit"]


@pytest.mark.parametrize(("slug", "status", "code"), [
    ("admin", 400, "slug_reserved"), ("No Spaces", 400, "invalid_slug"), ("alpha", 409, "slug_taken"),
])
def test_slug_availability_endpoint(api, vendor_a, slug, status, code):
    _error(api().get("/api/v1/slug-availability/", {"slug": slug}), status, code)


def test_slug_availability_for_a_free_slug(api, db):
    response = api().get("/api/v1/slug-availability/", {"slug": "Fresh-Shop"})
    assert response.json() == {"slug": "fresh-shop", "available": True}


def test_wrong_type_upload_is_a_clean_400(api, applicant):
    application_id = api(applicant).post("/api/v1/applications/", {},
                                         content_type="application/json").json()["id"]
    fake = pdf_upload(content=b"MZ this is an exe")
    response = api(applicant).post(f"/api/v1/applications/{application_id}/documents/",
                                   {"file": fake})
    assert _error(response, 400, "upload_type_not_allowed")["fields"] == {"file": ["type_not_allowed"]}
    missing = api(applicant).post(f"/api/v1/applications/{application_id}/documents/", {})
    _error(missing, 400, "invalid")


def test_invalid_fields_are_a_clean_400(api, applicant):
    response = api(applicant).post("/api/v1/applications/", {
        "country": "XX", "contact_email": "not-an-email", "legal_form": "empire",
    }, content_type="application/json")
    fields = _error(response, 400, "invalid")["fields"]
    assert set(fields) == {"country", "contact_email", "legal_form"}
    assert not VendorApplication.objects.exists()


def test_admin_decisions_and_wrong_state_conflicts(api, submitted, admin_user):
    admin = api(admin_user)
    url = f"/api/v1/applications/{submitted.pk}"
    _error(admin.post(f"{url}/reject/", {}, content_type="application/json"), 400, "reason_required")
    changes = admin.post(f"{url}/request-changes/", {"reason": "Add VAT id"},
                         content_type="application/json")
    assert changes.json()["status"] == "changes_requested"
    _error(admin.post(f"{url}/approve/"), 409, "invalid_transition")
    resubmit = api(submitted.applicant).post(f"{url}/submit/")
    assert resubmit.json()["status"] == "submitted"
    approved = admin.post(f"{url}/approve/", {"reason": "ok"}, content_type="application/json")
    assert approved.status_code == 200
    assert approved.json()["vendor_id"] == Vendor.objects.get(slug="newshop").pk
    _error(admin.post(f"{url}/approve/"), 409, "invalid_transition")
    assert Vendor.objects.filter(slug="newshop").count() == 1
    assert AuditEntry.objects.filter(application=submitted, action="application.approve").count() == 1


def test_admin_queue_filters_and_sorts(api, make_application, admin_user):
    first = make_application(slug="zeta-shop")
    second = make_application(slug="alpha-shop")
    make_application(submit=False, slug="draft-shop")
    admin = api(admin_user)
    listing = admin.get("/api/v1/applications/", {"sort": "name"}).json()
    assert [item["id"] for item in listing["results"]] == [second.pk, first.pk]
    only = admin.get("/api/v1/applications/", {"status": "draft"}).json()
    assert [item["slug"] for item in only["results"]] == ["draft-shop"]
    search = admin.get("/api/v1/applications/", {"q": "zeta"}).json()
    assert [item["id"] for item in search["results"]] == [first.pk]


@pytest.mark.parametrize("role", ["anonymous", "buyer", "finance", "vendor_owner", "applicant"])
def test_review_actions_are_for_admins_only(api, submitted, role, finance_user, owner_a):
    users = {"anonymous": None, "buyer": UserFactory(), "finance": finance_user,
             "vendor_owner": owner_a, "applicant": submitted.applicant}
    response = api(users[role]).post(f"/api/v1/applications/{submitted.pk}/approve/")
    assert response.status_code == (401 if role == "anonymous" else 403)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_other_users_get_404_for_an_application(api, submitted, finance_user):
    for user in (UserFactory(), finance_user):
        client = api(user)
        _error(client.get(f"/api/v1/applications/{submitted.pk}/"), 404, "not_found")
        _error(client.patch(f"/api/v1/applications/{submitted.pk}/", {"business_name": "x"},
                            content_type="application/json"), 404, "not_found")
        _error(client.post(f"/api/v1/applications/{submitted.pk}/documents/",
                           {"file": pdf_upload()}), 404, "not_found")
        assert client.get("/api/v1/applications/").json()["results"] == []


def test_admin_suspends_and_reinstates_a_vendor(api, vendor_a, admin_user, finance_user):
    url = f"/api/v1/vendors/{vendor_a.pk}"
    assert api(finance_user).post(f"{url}/suspend/", {"reason": "x"},
                                  content_type="application/json").status_code == 403
    _error(api(admin_user).post(f"{url}/suspend/", {}, content_type="application/json"),
           400, "reason_required")
    suspended = api(admin_user).post(f"{url}/suspend/", {"reason": "Chargebacks"},
                                     content_type="application/json")
    assert (suspended.json()["status"], suspended.json()["is_selling"]) == ("suspended", False)
    _error(api(admin_user).post(f"{url}/suspend/", {"reason": "again"},
                                content_type="application/json"), 409, "invalid_transition")
    reinstated = api(admin_user).post(f"{url}/reinstate/")
    assert reinstated.json()["status"] == "active"
    _error(api(admin_user).post(f"{url}/retry-onboarding/"), 409, "invalid_transition")
    _error(api(admin_user).post(f"{url}/explode/"), 404, "not_found")


def test_vendor_profile_and_members_api(client_for, vendor_a, owner_a):
    from tests.factories.vendors import MembershipFactory

    staff = UserFactory(email="staff-api@example.com")
    MembershipFactory(user=staff, vendor=vendor_a, role="staff")
    owner = client_for(vendor_a, owner_a)
    profile = owner.patch("/api/v1/vendor/profile/", {"description": "Lamps"},
                          content_type="application/json")
    assert profile.json()["description"] == "Lamps"
    staff_client = client_for(vendor_a, staff)
    assert staff_client.get("/api/v1/vendor/profile/").status_code == 200
    assert staff_client.patch("/api/v1/vendor/profile/", {"description": "x"},
                              content_type="application/json").status_code == 403
    members = owner.get("/api/v1/vendor/members/").json()["results"]
    assert {member["role"] for member in members} == {"owner", "staff"}
    invite = owner.post("/api/v1/vendor/members/invitations/",
                        {"email": "new@example.com", "role": "manager"},
                        content_type="application/json")
    assert invite.status_code == 201
    before = rows(Invitation, Membership, AuditEntry)
    assert staff_client.post("/api/v1/vendor/members/invitations/",
                             {"email": "n2@example.com", "role": "staff"},
                             content_type="application/json").status_code == 403
    assert rows(Invitation, Membership, AuditEntry) == before
    bad_role = owner.post("/api/v1/vendor/members/invitations/",
                          {"email": "n3@example.com", "role": "owner"},
                          content_type="application/json")
    _error(bad_role, 400, "invalid")
    owner_membership = vendor_a.memberships.get(role="owner")
    _error(owner.delete(f"/api/v1/vendor/members/{owner_membership.pk}/"), 409,
           "owner_not_removable")
    staff_membership = vendor_a.memberships.get(user=staff)
    assert owner.delete(f"/api/v1/vendor/members/{staff_membership.pk}/").status_code == 204


def test_openapi_documents_the_onboarding_endpoints(db):
    # Generated from the platform URL conf (the served /api/v1/schema/ reads ROOT_URLCONF, the
    # vendor hosts' conf: see the report).
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="config.urls_public").get_schema(request=None, public=True)
    operations = {
        operation["operationId"]
        for path in schema["paths"].values() for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {"applications_list", "applications_create", "applications_submit",
            "applications_approve", "applications_reject", "applications_request_changes",
            "applications_documents_create", "slug_availability",
            "vendors_status_change"} <= operations
    approve = schema["paths"]["/api/v1/applications/{application_id}/approve/"]["post"]
    assert "409" in approve["description"]
