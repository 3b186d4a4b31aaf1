"""Application services: the whole transition table, completeness, slugs, audit and emails."""

from __future__ import annotations

import pytest
from django.core import mail

from common.exceptions import ApplicationError, Conflict
from tests.factories import UserFactory, VendorFactory
from vendors import services
from vendors.errors import InvalidTransition
from vendors.models import AuditEntry, Vendor, VendorApplication

pytestmark = pytest.mark.django_db

Status = VendorApplication.Status
ACTIONS = {
    "submit": lambda app, admin: services.application_submit(application=app, actor=app.applicant),
    "request_changes": lambda app, admin: services.application_request_changes(
        application=app, actor=admin, reason="Please add a registration document."),
    "approve": lambda app, admin: services.application_approve(application=app, actor=admin),
    "reject": lambda app, admin: services.application_reject(
        application=app, actor=admin, reason="Not a fit."),
}


def _force_status(application: VendorApplication, status: str) -> VendorApplication:
    vendor = VendorFactory(slug=f"forced-{application.pk}") if status == Status.APPROVED else None
    VendorApplication.objects.filter(pk=application.pk).update(status=status, vendor=vendor)
    application.refresh_from_db()
    return application


def test_the_transition_table_covers_every_action():
    assert set(services.APPLICATION_TRANSITIONS) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("start", Status.values)
def test_walk_the_application_transition_table(make_application, admin_user, action, start):
    application = _force_status(make_application(submit=False, slug="walkshop"), start)
    sources, target = services.APPLICATION_TRANSITIONS[action]
    audit_before = AuditEntry.objects.count()
    if start in sources:
        result = ACTIONS[action](application, admin_user)
        assert result.status == target
        application.refresh_from_db()
        assert application.status == target
        entry = AuditEntry.objects.filter(application=application).first()
        assert (entry.from_status, entry.to_status) == (start, target)
    else:
        with pytest.raises(InvalidTransition) as error:
            ACTIONS[action](application, admin_user)
        assert error.value.status_code == 409
        application.refresh_from_db()
        assert application.status == start
        assert AuditEntry.objects.count() == audit_before


def test_full_path_draft_submit_changes_resubmit_approve(make_application, admin_user):
    application = make_application(submit=False, slug="roundtrip")
    user = application.applicant
    services.application_submit(application=application, actor=user)
    services.application_request_changes(application=application, actor=admin_user,
                                         reason="Logo missing")
    application.refresh_from_db()
    assert application.reviewer_message == "Logo missing"
    services.application_update(application=application, actor=user, description="Better text")
    services.application_submit(application=application, actor=user)
    approved = services.application_approve(application=application, actor=admin_user,
                                            reason="Welcome")
    vendor = approved.vendor
    assert vendor.slug == "roundtrip"
    assert vendor.status == Vendor.Status.ONBOARDING
    assert vendor.memberships.get().user == user
    assert vendor.memberships.get().role == "owner"
    assert vendor.description == "Better text"
    actions = list(AuditEntry.objects.filter(application=application)
                   .order_by("created_at", "id").values_list("action", "actor__email", "reason"))
    assert actions == [
        ("application.submit", user.email, ""),
        ("application.request_changes", admin_user.email, "Logo missing"),
        ("application.submit", user.email, ""),
        ("application.approve", admin_user.email, "Welcome"),
    ]


def test_double_submission_is_a_conflict(submitted):
    with pytest.raises(Conflict) as error:
        services.application_submit(application=submitted, actor=submitted.applicant)
    assert error.value.code == "invalid_transition"


def test_second_approval_is_a_conflict_and_makes_no_second_vendor(submitted, admin_user):
    services.application_approve(application=submitted, actor=admin_user)
    with pytest.raises(InvalidTransition):
        services.application_approve(application=submitted, actor=admin_user)
    assert Vendor.objects.filter(slug="newshop").count() == 1


def test_reject_and_request_changes_need_a_reason(submitted, admin_user):
    for decide in (services.application_reject, services.application_request_changes):
        with pytest.raises(ApplicationError) as error:
            decide(application=submitted, actor=admin_user, reason="  ")
        assert error.value.code == "reason_required"
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_incomplete_application_cannot_be_submitted(applicant):
    application = services.application_create(applicant=applicant, business_name="Half")
    with pytest.raises(ApplicationError) as error:
        services.application_submit(application=application, actor=applicant)
    assert error.value.code == "application_incomplete"
    assert {"slug", "documents", "categories", "legal_form"} <= set(error.value.fields)
    application.refresh_from_db()
    assert application.status == Status.DRAFT


@pytest.mark.parametrize(("slug", "code"), [
    ("www", "slug_reserved"), ("ops", "slug_reserved"), ("api", "slug_reserved"),
    ("Bad_Slug", "invalid_slug"), ("x", "invalid_slug"), ("a--b", "invalid_slug"),
])
def test_bad_slugs_are_refused_when_saving(applicant, slug, code):
    application = services.application_create(applicant=applicant)
    with pytest.raises(ApplicationError) as error:
        services.application_update(application=application, actor=applicant, slug=slug)
    assert error.value.code == code
    application.refresh_from_db()
    assert application.slug == ""


def test_slug_of_a_live_vendor_is_taken(vendor_a, make_application):
    application = make_application(submit=False, slug="alpha")
    with pytest.raises(Conflict) as error:
        services.application_submit(application=application, actor=application.applicant)
    assert error.value.code == "slug_taken"


def test_slug_held_by_a_submitted_application_is_taken(make_application):
    make_application(slug="samename")
    second = make_application(submit=False, slug="samename")
    with pytest.raises(Conflict) as error:
        services.application_submit(application=second, actor=second.applicant)
    assert error.value.code == "slug_taken"
    # A draft holds nothing: the availability check still passes for the first applicant.
    assert services.slug_availability_check(slug="freeslug") == "freeslug"


def test_only_one_open_application_per_user(applicant):
    services.application_create(applicant=applicant)
    with pytest.raises(Conflict) as error:
        services.application_create(applicant=applicant)
    assert error.value.code == "application_open"


def test_after_rejection_a_new_application_may_start(submitted, admin_user):
    services.application_reject(application=submitted, actor=admin_user, reason="No")
    again = services.application_create(applicant=submitted.applicant)
    assert again.status == Status.DRAFT


def test_only_the_applicant_may_edit(submitted, admin_user):
    services.application_request_changes(application=submitted, actor=admin_user, reason="Fix")
    with pytest.raises(ApplicationError) as error:
        services.application_update(application=submitted, actor=UserFactory(), business_name="X")
    assert error.value.status_code == 403


def test_submitted_application_is_frozen(submitted):
    with pytest.raises(InvalidTransition):
        services.application_update(application=submitted, actor=submitted.applicant,
                                    business_name="Changed")


def test_unknown_category_ids_are_refused(applicant, category):
    application = services.application_create(applicant=applicant)
    with pytest.raises(ApplicationError) as error:
        services.application_update(application=application, actor=applicant,
                                    categories=[category.pk, 999_999])
    assert error.value.fields == {"categories": ["invalid"]}


def test_emails_on_submit_changes_and_reject(make_application, admin_user,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = make_application(slug="mailshop")
    subjects = {message.subject: message.to for message in mail.outbox}
    assert subjects["We received your application for Mailshop GmbH"] == [application.applicant.email]
    assert subjects["New seller application to review: Mailshop GmbH"] == [admin_user.email]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_request_changes(application=application, actor=admin_user,
                                             reason="Need <VAT> number")
    assert mail.outbox[0].to == [application.applicant.email]
    assert "Need <VAT> number" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(application=application, actor=admin_user, reason="Sorry")
    assert mail.outbox[0].subject == "Your seller application was not accepted"
