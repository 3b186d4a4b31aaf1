"""Stripe requirements that come due after onboarding: stored from the signed `account.updated`,
shown on the go-live page in words with the deadline and a button to fix them, emailed to the
owners once per change (never again on replays), and invisible to other vendors."""

from __future__ import annotations

import pytest

from payments.webhooks import webhook_event_apply, webhook_event_replay
from tests.factories.vendors import MembershipFactory
from tests.support.stripe import WEBHOOK_SECRET, connect, deliver, deliver_events, emulator_post
from vendors.models import Vendor
from vendors.stripe_requirements import disabled_reason_label, requirement_label, requirement_labels

pytestmark = pytest.mark.django_db

DEADLINE = 1_900_000_000  # 2030-03-17


@pytest.fixture
def webhooks(webhooks, emulator, settings):
    """This folder's emulator delivering its signed events to the capture (the root fixture)."""
    emulator_post(emulator, "/_emulator/webhooks/config", {"url": webhooks.url, "secret": WEBHOOK_SECRET})
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return webhooks


def _come_due(emulator, webhooks, account_id: str, count: int = 1, **requirements):
    emulator_post(emulator, f"/_emulator/accounts/{account_id}/requirements", requirements)
    return deliver_events(emulator, webhooks, "account.updated", object_id=account_id, count=count)[-1]


def _requirement_mails(mailoutbox):
    return [m for m in mailoutbox if "Stripe" in m.subject]


def test_requirements_are_stored_and_emailed_to_the_owners_once(
    vendor_a, owner_a, emulator, webhooks, mailoutbox, django_capture_on_commit_callbacks,
):
    account = connect(vendor_a, emulator)
    MembershipFactory(vendor=vendor_a, role="staff", user__email="packer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _come_due(emulator, webhooks, account, currently_due=["individual.verification.document"],
                             past_due=["external_account"], current_deadline=DEADLINE,
                             disabled_reason="requirements.past_due", count=2)

    vendor = Vendor.objects.get(pk=vendor_a.pk)
    assert vendor.stripe_requirements_detail["currently_due"] == ["individual.verification.document"]
    assert vendor.stripe_requirements_detail["past_due"] == ["external_account"]
    assert vendor.stripe_requirements_deadline.timestamp() == DEADLINE
    assert vendor.stripe_disabled_reason == "requirements.past_due"
    assert not vendor.charges_enabled and not vendor.is_selling
    mails = _requirement_mails(mailoutbox)
    assert len(mails) == 1 and mails[0].to == [owner_a.email]  # owners only, not the packer
    assert "Stripe information is overdue" in mails[0].subject
    assert "Bank account for payouts" in mails[0].body
    assert "Identity document (passport or ID card)" in mails[0].body
    assert "2030" in mails[0].body and "/dashboard/go-live/" in mails[0].body

    # The same event again (redelivered, then replayed by an operator): nothing new, no email.
    with django_capture_on_commit_callbacks(execute=True):
        deliver(delivery)
        stored = webhook_event_replay(event_id=deliver(delivery).pk, force=True)
        webhook_event_apply(event_id=stored.pk)
    assert len(_requirement_mails(mailoutbox)) == 1


def test_only_new_items_are_emailed_and_a_move_to_past_due_is_new(
    vendor_a, owner_a, emulator, webhooks, mailoutbox, django_capture_on_commit_callbacks,
):
    account = connect(vendor_a, emulator)
    with django_capture_on_commit_callbacks(execute=True):
        _come_due(emulator, webhooks, account, currently_due=["company.tax_id"], count=2)
        _come_due(emulator, webhooks, account, currently_due=["company.tax_id", "business_profile.url"],
                  count=3)
        _come_due(emulator, webhooks, account, currently_due=["business_profile.url"], past_due=["company.tax_id"],
                  count=4)
        _come_due(emulator, webhooks, account, currently_due=["business_profile.url"], count=5)

    bodies = [m.body for m in _requirement_mails(mailoutbox)]
    assert len(bodies) == 3
    assert "Company tax ID" in bodies[0]
    assert "Business website" in bodies[1] and "Company tax ID" not in bodies[1]
    assert "Overdue:" in bodies[2] and "Company tax ID" in bodies[2] and "Business website" not in bodies[2]


def test_no_email_while_onboarding_is_still_open(vendor_a, emulator, webhooks, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    from payments import gateway

    account = gateway.account_create(vendor_id=vendor_a.pk, country="DE", email="a@example.com",
                                     business_name=vendor_a.name)
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=account.id, stripe_details_submitted=False)
    with django_capture_on_commit_callbacks(execute=True):
        _come_due(emulator, webhooks, account.id, currently_due=["external_account"])
    assert Vendor.objects.get(pk=vendor_a.pk).stripe_requirements == ["external_account"]
    assert _requirement_mails(mailoutbox) == []


def test_go_live_page_shows_labels_deadline_and_the_fix_button(vendor_a, owner_a, emulator, webhooks, client_for):
    account = connect(vendor_a, emulator)
    _come_due(emulator, webhooks, account, currently_due=["individual.dob.day", "individual.dob.month"],
              past_due=["external_account"], eventually_due=["company.tax_id"], current_deadline=DEADLINE,
              disabled_reason="requirements.past_due", count=2)
    owner = client_for(vendor_a, owner_a)

    page = owner.get("/dashboard/go-live/").content.decode()
    assert 'id="stripe-requirements"' in page
    assert "Bank account for payouts" in page and "Date of birth" in page and "Company tax ID" in page
    assert page.count("Date of birth") == 1  # day and month are one step
    assert "Due by" in page and "2030" in page
    assert "Stripe paused card payments and payouts" in page
    assert "Provide the missing details on Stripe" in page
    assert "individual.dob.day" not in page
    fix = owner.post("/dashboard/go-live/stripe/")
    assert fix.status_code == 302 and fix["Location"].startswith(emulator.url)
    assert account in fix["Location"]


def test_staff_see_the_requirements_but_not_the_button(vendor_a, emulator, webhooks, client_for):
    account = connect(vendor_a, emulator)
    _come_due(emulator, webhooks, account, currently_due=["company.tax_id"], count=2)
    staff = MembershipFactory(vendor=vendor_a, role="staff").user

    page = client_for(vendor_a, staff).get("/dashboard/go-live/").content.decode()
    assert "Company tax ID" in page and "An owner of the store can provide these" in page
    assert "Provide the missing details on Stripe" not in page
    assert client_for(vendor_a, staff).post("/dashboard/go-live/stripe/").status_code == 403


def test_another_vendor_never_sees_or_fixes_them(vendor_a, vendor_b, owner_b, emulator, webhooks, client_for):
    account = connect(vendor_a, emulator)
    _come_due(emulator, webhooks, account, currently_due=["company.tax_id"], count=2)

    own = client_for(vendor_b, owner_b).get("/dashboard/go-live/").content.decode()
    assert "Company tax ID" not in own and 'id="stripe-requirements"' not in own
    other_host = client_for(vendor_a, owner_b)
    assert other_host.get("/dashboard/go-live/").status_code in (302, 403, 404)
    fix = other_host.post("/dashboard/go-live/stripe/")
    assert fix.status_code in (302, 403, 404)
    assert not fix.get("Location", "").startswith(emulator.url)


@pytest.mark.parametrize(("name", "label"), [
    ("external_account", "Bank account for payouts"),
    ("individual.address.city", "Home address"),
    ("person_1AbC.verification.document", "A person on your account: Identity document (passport or ID card)"),
    ("company.structure", "Company › structure"),
])  # fmt: skip
def test_requirement_labels(name, label):
    assert requirement_label(name) == label


def test_labels_merge_steps_and_reasons_are_never_blank():
    assert requirement_labels(["tos_acceptance.date", "tos_acceptance.ip"]) == ["Accept Stripe's terms of service"]
    assert disabled_reason_label("rejected.fraud").startswith("Stripe rejected")
    assert disabled_reason_label("something_new")
    assert disabled_reason_label("") == ""


def test_an_event_of_the_same_second_as_the_return_from_stripe_is_applied(vendor_a, emulator):
    """Coming back from Stripe stores the state fetched then; an `account.updated` created in that
    same second (Stripe's `created` has whole seconds) must not be taken for an older one."""
    from vendors import services

    account = connect(vendor_a, emulator)
    services.vendor_stripe_account_sync(
        account={"id": account, "charges_enabled": True, "details_submitted": True}, event_created=None)
    held = Vendor.objects.get(pk=vendor_a.pk).stripe_account_synced_at

    services.vendor_stripe_account_sync(
        account={"id": account, "charges_enabled": False, "details_submitted": True,
                 "requirements": {"past_due": ["external_account"]}},
        event_created=held.replace(microsecond=0))

    vendor = Vendor.objects.get(pk=vendor_a.pk)
    assert vendor.stripe_requirements_detail["past_due"] == ["external_account"]
    assert not vendor.charges_enabled
