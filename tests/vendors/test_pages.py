"""Onboarding pages: the applicant's steps, the ops queue and decisions, the vendor dashboard."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import ProductFactory, UserFactory
from tests.factories.vendors import MembershipFactory
from tests.support.state import rows
from tests.support.uploads import pdf_upload, png_upload
from vendors.models import AuditEntry, Invitation, Membership, Vendor, VendorApplication

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def test_sell_landing_for_anonymous_and_start_creates_a_draft(client_for, applicant):
    anonymous = client_for(HOST).get("/sell/")
    assert anonymous.status_code == 200
    assert b"Log in" in anonymous.content
    client = client_for(HOST, applicant)
    response = client.post("/sell/")
    assert response.status_code == 302
    assert response["Location"] == "/sell/application/business/"
    assert VendorApplication.objects.get(applicant=applicant).status == "draft"


def test_walk_the_steps_save_and_submit(client_for, applicant, category, django_capture_on_commit_callbacks):
    client = client_for(HOST, applicant)
    client.post("/sell/")
    step = client.post("/sell/application/business/", {
        "business_name": "Page Shop", "legal_form": "company", "country": "DE", "currency": "EUR",
    })
    assert step["Location"] == "/sell/application/contact/"
    saved = client.post("/sell/application/contact/", {
        "contact_name": "Ann", "contact_email": "ann@example.com", "contact_phone": "call me",
        "action": "save",
    })
    assert saved.status_code == 200  # not a phone number: form error, nothing saved
    assert b"Enter a phone number" in saved.content
    saved = client.post("/sell/application/contact/", {
        "contact_name": "Ann", "contact_email": "ann@example.com", "contact_phone": "+49 30 123456",
        "action": "save",
    })
    assert saved["Location"] == "/sell/status/"  # saved as a draft, come back later
    store_step = client.get("/sell/application/store/").content.decode()
    assert 'hx-get="/sell/slug-check/"' in store_step
    assert 'aria-live="polite"' in store_step
    assert "Outdoor" in store_step  # the marketplace's categories are offered
    reserved = client.post("/sell/application/store/", {
        "slug": "admin", "categories": [str(category.pk)], "description": "Stuff",
    })
    assert reserved.status_code == 200
    assert "is reserved" in reserved.content.decode()
    client.post("/sell/application/store/", {
        "slug": "page-shop", "categories": [str(category.pk)], "description": "Stuff",
    })
    bad = client.post("/sell/documents/", {"kind": "registration",
                                           "file": pdf_upload(content=b"GIF89a not allowed")})
    assert bad.status_code == 400
    assert b"not accepted" in bad.content
    client.post("/sell/documents/", {"kind": "registration", "file": pdf_upload()})
    client.post("/sell/logo/", {"logo": png_upload()})
    review = client.get("/sell/application/review/")
    assert b"Still missing" not in review.content
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post("/sell/submit/")
    assert submitted["Location"] == "/sell/status/"
    application = VendorApplication.objects.get(applicant=applicant)
    assert application.status == "submitted"
    assert application.logo and application.documents.count() == 1
    assert any("Page Shop" in message.subject for message in mail.outbox)
    # Once submitted, the steps are closed and a second submission is refused.
    assert client.get("/sell/application/business/")["Location"] == "/sell/status/"
    again = client.post("/sell/submit/", follow=True)
    assert "not possible" in again.content.decode()


def test_live_slug_check_partial(client_for, vendor_a):
    client = client_for(HOST)
    taken = client.get("/sell/slug-check/", {"slug": "alpha"}, HTTP_HX_REQUEST="true")
    assert "already taken" in taken.content.decode()
    free = client.get("/sell/slug-check/", {"slug": "free-one"}, HTTP_HX_REQUEST="true")
    assert "is available" in free.content.decode()
    reserved = client.get("/sell/slug-check/", {"slug": "www"})
    assert "is reserved" in reserved.content.decode()


def test_status_page_shows_reviewer_message_and_answering_resubmits(
    client_for, submitted, admin_user
):
    from vendors import services

    services.application_request_changes(application=submitted, actor=admin_user,
                                         reason="Please upload the <b>VAT</b> certificate")
    client = client_for(HOST, submitted.applicant)
    page = client.get("/sell/status/")
    assert "Please upload the &lt;b&gt;VAT&lt;/b&gt; certificate" in page.content.decode()
    assert client.get("/sell/application/business/").status_code == 200
    client.post("/sell/documents/", {"kind": "other", "file": pdf_upload("vat.pdf")})
    client.post("/sell/submit/")
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert submitted.documents.count() == 2


def test_ops_queue_filter_sort_and_query_count(
    client_for, make_application, admin_user, django_assert_max_num_queries
):
    for index in range(6):
        make_application(slug=f"queue-{index}")
    make_application(submit=False, slug="queue-draft")
    client = client_for(HOST, admin_user)
    with django_assert_max_num_queries(12):
        page = client.get("/ops/applications/")
    assert page.status_code == 200
    content = page.content.decode()
    assert content.count("queue-") == 6  # drafts are not in the queue
    partial = client.get("/ops/applications/", {"status": "draft"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "queue-draft" in partial.content.decode()
    empty = client.get("/ops/applications/", {"q": "nothing-matches"})
    assert b"No applications match." in empty.content


@pytest.mark.parametrize("role", ["buyer", "finance", "vendor_owner"])
def test_ops_review_pages_are_for_admins_only(client_for, submitted, role, finance_user, owner_a):
    user = {"buyer": UserFactory(), "finance": finance_user, "vendor_owner": owner_a}[role]
    client = client_for(HOST, user)
    assert client.get("/ops/applications/").status_code == 403
    assert client.get(f"/ops/applications/{submitted.pk}/").status_code == 403
    assert client.post(f"/ops/applications/{submitted.pk}/approve/").status_code == 403
    assert client.get("/ops/vendors/").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_ops_decisions_through_the_page(client_for, submitted, admin_user):
    client = client_for(HOST, admin_user)
    detail = client.get(f"/ops/applications/{submitted.pk}/")
    assert detail.status_code == 200
    assert f"/sell/documents/{submitted.documents.get().pk}/".encode() in detail.content
    no_reason = client.post(f"/ops/applications/{submitted.pk}/reject/", {"reason": ""})
    assert no_reason.status_code == 400
    assert b"Please give a reason." in no_reason.content
    rejected = client.post(f"/ops/applications/{submitted.pk}/reject/", {"reason": "Duplicate"})
    assert rejected.status_code == 302
    wrong_state = client.post(f"/ops/applications/{submitted.pk}/approve/")
    assert wrong_state.status_code == 409
    entry = AuditEntry.objects.get(application=submitted, action="application.reject")
    assert (entry.actor, entry.reason, entry.to_status) == (admin_user, "Duplicate", "rejected")


def test_ops_approve_page_creates_the_vendor(client_for, submitted, admin_user):
    response = client_for(HOST, admin_user).post(f"/ops/applications/{submitted.pk}/approve/")
    assert response.status_code == 302
    vendor = Vendor.objects.get(slug="newshop")
    detail = client_for(HOST, admin_user).get(f"/ops/applications/{submitted.pk}/")
    assert f"/ops/vendors/{vendor.pk}/progress/".encode() in detail.content  # polls progress
    progress = client_for(HOST, admin_user).get(f"/ops/vendors/{vendor.pk}/progress/")
    assert b'hx-trigger="every 2s"' in progress.content


def test_ops_vendors_suspend_and_reinstate(client_for, vendor_a, admin_user):
    client = client_for(HOST, admin_user)
    listing = client.get("/ops/vendors/", {"q": "alpha"})
    assert b"Suspend" in listing.content
    client.post(f"/ops/vendors/{vendor_a.pk}/suspend/", {"reason": "Counterfeits"})
    vendor_a.refresh_from_db()
    assert vendor_a.status == "suspended" and not vendor_a.is_selling
    # The storefront disappears at once.
    assert client_for(vendor_a).get("/").status_code == 404
    client.post(f"/ops/vendors/{vendor_a.pk}/reinstate/")
    vendor_a.refresh_from_db()
    assert vendor_a.status == "active"
    assert client_for(vendor_a).get("/").status_code == 200


def test_go_live_checklist(client_for, vendor_a, owner_a, in_schema):
    Vendor.objects.filter(pk=vendor_a.pk).update(charges_enabled=False, stripe_requirements=["external_account"])
    page = client_for(vendor_a, owner_a).get("/dashboard/go-live/")
    content = page.content.decode()
    assert 'data-item="schema" data-done="1"' in content
    assert 'data-item="charges" data-done="0"' in content
    assert 'data-item="product" data-done="0"' in content
    assert "Bank account for payouts" in content and "external_account" not in content  # in words
    with in_schema(vendor_a):
        ProductFactory(status="active")
    content = client_for(vendor_a, owner_a).get("/dashboard/go-live/").content.decode()
    assert 'data-item="product" data-done="1"' in content


def test_storefront_settings_for_managers(client_for, vendor_a, owner_a, in_schema):
    staff = UserFactory(email="staff-sf@example.com")
    MembershipFactory(user=staff, vendor=vendor_a, role="staff")
    assert client_for(vendor_a, staff).get("/dashboard/storefront/").status_code == 403
    client = client_for(vendor_a, owner_a)
    bad = client.post("/dashboard/storefront/", {"name": "Alpha", "logo": pdf_upload("logo.png")})
    assert bad.status_code == 400
    ok = client.post("/dashboard/storefront/", {
        "name": "Alpha Lamps", "description": "Lamps", "shipping_policy": "2 days",
        "returns_policy": "30 days", "support_email": "help@alpha.example.com",
        "logo": png_upload(),
    })
    assert ok.status_code == 302
    from storefront.models import StorefrontSettings

    with in_schema(vendor_a):
        row = StorefrontSettings.objects.get()
        assert row.is_complete
        assert row.logo.url.startswith("/media/v_alpha/")
    content = client.get("/dashboard/go-live/").content.decode()
    assert 'data-item="storefront" data-done="1"' in content


def test_team_invitation_and_acceptance(client_for, vendor_a, owner_a, django_capture_on_commit_callbacks):
    client = client_for(vendor_a, owner_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/team/", {"email": "Mia@Example.com", "role": "manager"})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["mia@example.com"]
    link = next(line for line in message.body.splitlines() if "/sell/invitations/" in line)
    path = link[link.index("/sell/invitations/"):].strip()
    # Someone else cannot use the link.
    stranger = client_for(HOST, UserFactory(email="eve@example.com"))
    before = rows(Invitation, Membership, AuditEntry)
    assert stranger.post(path).status_code == 403
    assert rows(Invitation, Membership, AuditEntry) == before
    mia = UserFactory(email="mia@example.com")
    accepted = client_for(HOST, mia).post(path)
    assert accepted.status_code == 302
    assert accepted["Location"].endswith("alpha.marketplace.localhost/dashboard/")
    assert Membership.objects.get(user=mia, vendor=vendor_a).role == "manager"
    assert Invitation.objects.get().status == "accepted"
    assert client_for(HOST, mia).post(path).status_code == 404  # single use


def test_staff_sees_team_but_cannot_invite(client_for, vendor_a):
    staff = UserFactory(email="staff-team@example.com")
    MembershipFactory(user=staff, vendor=vendor_a, role="staff")
    client = client_for(vendor_a, staff)
    page = client.get("/dashboard/team/")
    assert page.status_code == 200
    assert b"Send invitation" not in page.content
    before, sent = rows(Invitation, Membership, AuditEntry), len(mail.outbox)
    assert client.post("/dashboard/team/", {"email": "x@example.com", "role": "staff"}).status_code == 403
    assert rows(Invitation, Membership, AuditEntry) == before
    assert not Invitation.objects.exists()
    assert len(mail.outbox) == sent


def test_invitation_errors_are_form_errors(client_for, vendor_a, owner_a):
    response = client_for(vendor_a, owner_a).post("/dashboard/team/", {
        "email": owner_a.email, "role": "staff"})
    assert response.status_code == 400
    assert b"already a member" in response.content


@pytest.mark.parametrize(("role", "go_live", "storefront", "invite", "stripe"), [
    ("owner", 200, 200, 302, 302),
    ("manager", 200, 200, 403, 403),
    ("staff", 200, 403, 403, 403),
])
def test_dashboard_onboarding_pages_by_vendor_role(
    client_for, vendor_a, role, go_live, storefront, invite, stripe
):
    user = UserFactory(email=f"{role}-matrix@example.com")
    if role == "owner":
        Membership.objects.filter(vendor=vendor_a, role="owner").update(role="manager")
    MembershipFactory(user=user, vendor=vendor_a, role=role)
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="")
    client = client_for(vendor_a, user)
    assert client.get("/dashboard/go-live/").status_code == go_live
    assert client.get("/dashboard/storefront/").status_code == storefront
    assert client.post("/dashboard/team/", {"email": "m@example.com", "role": "staff"}).status_code == invite
    # Without a Connect account yet the owner is sent back to the checklist with a message.
    assert client.post("/dashboard/go-live/stripe/").status_code == stripe


def test_status_page_query_count(client_for, submitted, admin_user, django_assert_max_num_queries):
    from vendors import services

    services.application_request_changes(application=submitted, actor=admin_user, reason="More")
    client = client_for(HOST, submitted.applicant)
    # 9: the header asks once which stores' dashboards a signed-in person works in.
    with django_assert_max_num_queries(9):
        response = client.get("/sell/status/")
    assert response.status_code == 200
