"""Onboarding isolation: vendor B never sees or changes A's team, invitations, storefront, files;
an applicant never sees another applicant's application or documents."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from storefront import services as storefront_services
from tests.factories import ProductFactory, UserFactory
from tests.factories.vendors import MembershipFactory
from tests.support.state import rows
from vendors import services
from vendors.models import Invitation, Membership, Vendor

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def a_team(vendor_a, owner_a):
    manager = UserFactory(email="secret-manager@alpha.example.com")
    membership = MembershipFactory(user=manager, vendor=vendor_a, role="manager")
    invitation, _secret = services.invitation_create(
        vendor=vendor_a, actor=owner_a, email="secret-invitee@alpha.example.com", role="staff"
    )
    return membership, invitation


def test_b_never_lists_a_members_or_invitations(client_for, vendor_b, owner_b, a_team):
    page = client_for(vendor_b, owner_b).get("/dashboard/team/")
    assert page.status_code == 200
    assert b"secret-manager@alpha" not in page.content
    assert b"secret-invitee@alpha" not in page.content
    members = client_for(vendor_b, owner_b).get("/api/v1/vendor/members/").json()["results"]
    assert all("alpha" not in member["email"] for member in members)


def test_a_member_and_invitation_ids_are_404_on_b(client_for, vendor_b, owner_b, a_team):
    membership, invitation = a_team
    client = client_for(vendor_b, owner_b)
    assert client.post(f"/dashboard/team/{membership.pk}/remove/").status_code == 404
    assert client.post(f"/dashboard/team/invitations/{invitation.pk}/revoke/").status_code == 404
    response = client.delete(f"/api/v1/vendor/members/{membership.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Membership.objects.filter(pk=membership.pk, is_active=True).exists()
    assert Invitation.objects.get(pk=invitation.pk).status == "pending"


def test_a_owner_has_no_onboarding_pages_on_b(client_for, vendor_b, owner_a):
    client = client_for(vendor_b, owner_a)
    for path in ("/dashboard/go-live/", "/dashboard/team/", "/dashboard/storefront/"):
        assert client.get(path).status_code == 404
    before = _vendor_state(vendor_b)
    assert client.post("/dashboard/go-live/stripe/").status_code == 404
    assert client.get("/api/v1/vendor/profile/").status_code == 403
    assert client.patch("/api/v1/vendor/profile/", {"name": "Hijacked"},
                        content_type="application/json").status_code == 403
    assert _vendor_state(vendor_b) == before  # the Stripe account, the name, the team: all as they were
    vendor_b.refresh_from_db()
    assert vendor_b.name == "Bravo"


def _vendor_state(vendor):
    return rows(Vendor.objects.filter(pk=vendor.pk), Membership.objects.filter(vendor=vendor),
                Invitation.objects.filter(vendor=vendor))


def test_storefront_settings_and_files_stay_in_their_schema(
    client_for, vendor_a, vendor_b, owner_b, in_schema
):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    with in_schema(vendor_a):
        row = storefront_services.storefront_settings_update(
            name="Alpha Secret Storefront", support_email="a@alpha.example.com",
            logo=SimpleUploadedFile("a.png", buffer.getvalue()),
        )
        logo_path = row.logo.name
    page = client_for(vendor_b, owner_b).get("/dashboard/storefront/")
    assert b"Alpha Secret Storefront" not in page.content
    assert client_for(vendor_a).get(f"/media/v_alpha/{logo_path}").status_code == 200
    assert client_for(vendor_b).get(f"/media/v_alpha/{logo_path}").status_code == 404
    assert client_for(vendor_b).get(f"/media/v_bravo/{logo_path}").status_code == 404
    with in_schema(vendor_b):
        from storefront.models import StorefrontSettings

        assert not StorefrontSettings.objects.filter(name="Alpha Secret Storefront").exists()


def test_b_checklist_never_counts_a_products(client_for, vendor_a, vendor_b, owner_b, in_schema):
    with in_schema(vendor_a):
        ProductFactory(status="active")
    content = client_for(vendor_b, owner_b).get("/dashboard/go-live/").content.decode()
    assert 'data-item="product" data-done="0"' in content


def test_applicants_never_see_each_other(client_for, db):
    first = UserFactory(email="first-applicant@example.com")
    second = UserFactory(email="second-applicant@example.com")
    application = services.application_create(applicant=first, business_name="First Secret Co")
    document = services.application_document_add(
        application=application, actor=first, upload=SimpleUploadedFile("id.pdf", PDF)
    )
    other = client_for(HOST, second)
    assert other.get(f"/sell/documents/{document.pk}/").status_code == 404
    assert other.get(f"/sell/logo/{application.pk}/").status_code == 404
    assert other.post(f"/sell/documents/{document.pk}/remove/").status_code == 404
    assert other.get(f"/api/v1/applications/{application.pk}/").status_code == 404
    assert other.get("/api/v1/applications/").json()["results"] == []
    status = other.get("/sell/status/")
    assert status.status_code == 302  # no application of their own: sent to the start page
    assert application.documents.count() == 1


def test_vendor_hosts_do_not_serve_the_applicant_pages(client_for, vendor_a, owner_a):
    # `/sell/` and the review console exist only on the platform host.
    assert client_for(vendor_a, owner_a).get("/sell/").status_code == 404
    assert client_for(vendor_a, owner_a).get("/ops/applications/").status_code == 404
