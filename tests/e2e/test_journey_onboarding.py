"""Journey 1: a newcomer signs up and applies to sell with a real PDF; an admin asks for a change;
the applicant fixes it; the admin approves; provisioning (real worker) finishes and the storefront
appears; the owner completes Stripe onboarding on the emulator's hosted page and invites staff."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from playwright.sync_api import expect

from tests.e2e.journeys import (
    assert_accessible,
    emulator_control,
    login,
)
from tests.factories.accounts import PASSWORD
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLUG = "sunrisecrafts"
SCHEMA = f"v_{SLUG}"


def registration_pdf() -> bytes:
    """A small, real one-page PDF (what a person would scan and upload)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Certificate of registration - Sunrise Crafts GmbH, HRB 12345 Berlin")
    return bytes(pdf.output())


def drop_schema() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


@pytest.fixture
def clean_schema(task_worker):
    from tests.vendors.test_onboarding_provisioning import worker_idle

    drop_schema()  # a crashed earlier run may have left it
    yield
    wait_until(worker_idle, message="an idle worker")
    drop_schema()


def fill_step_and_continue(page, fields: dict[str, str], selects: dict[str, str] | None = None):
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    for label, value in (selects or {}).items():
        page.get_by_label(label).select_option(value)
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()


def test_newcomer_becomes_a_live_seller_with_a_team(
    browser, page, site, shot, live_server, clean_schema, emulator_for_live_server, _journey_media,
    admin_user,
):
    from marketplace.models import Category

    Category.objects.create(name="Ceramics", slug="ceramics", path="ceramics")
    Category.objects.create(name="Textiles", slug="textiles", path="textiles")
    admin_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    staff_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        _journey(page, admin_context.new_page(), staff_context.new_page(), site, shot, emulator_for_live_server)
    finally:
        browser.finish(admin_context)
        browser.finish(staff_context)


def _journey(page, admin, staff, site, shot, emulator):
    # --- A newcomer signs up from the "sell" landing page. ---
    page.goto(f"{site.platform}/sell/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sell on")
    assert_accessible(page)
    shot(page, "j1-01-sell-landing")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("nora@sunrise.example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Password \(again\):?$")).fill(PASSWORD)
    assert_accessible(page)
    shot(page, "j1-01b-sign-up")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"{site.platform}/sell/")

    # --- The application, step by step. ---
    page.get_by_role("button", name="Start your application").click()
    page.wait_for_url(re.compile(r".*/sell/application/business/$"))
    shot(page, "j1-02-apply-business")
    fill_step_and_continue(page, {"Business name": "Sunrise Crafts GmbH"},
                           {"Legal form": "company", "Country": "DE", "Currency you sell in": "EUR"})
    page.wait_for_url(re.compile(r".*/contact/$"))
    fill_step_and_continue(page, {"Contact person": "Nora Maker",
                                  "Contact email": "nora@sunrise.example.com",
                                  "Phone (optional)": "+49 30 1234567"})
    page.wait_for_url(re.compile(r".*/store/$"))
    page.get_by_label("Store address").fill(SLUG)
    # Live availability check (htmx) while typing.
    page.get_by_text(f"“{SLUG}” is available.").wait_for()
    page.get_by_label("Ceramics").check()
    page.get_by_label("About your business").fill("Hand-thrown ceramics from Berlin.")
    shot(page, "j1-03-apply-store")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()

    # --- The DAC7 tax identity (python-stdnum checks the TIN and the IBAN; a masked IBAN is kept). ---
    page.wait_for_url(re.compile(r".*/tax/$"))
    page.get_by_label("Tax identification number (TIN)").fill("181/815/08155")
    page.get_by_label("Street and number").fill("Kastanienallee 12")
    page.get_by_label("Postal code").fill("10435")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Business registration number (entities)").fill("HRB 123456")
    page.get_by_label("IBAN of the account you are paid to").fill("DE89 3704 0044 0532 0130 01")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_text("This is not a valid IBAN.").wait_for()  # a typo in the IBAN: a form error
    page.get_by_label("IBAN of the account you are paid to").fill("DE89 3704 0044 0532 0130 00")
    shot(page, "j1-03b-apply-tax-identity")
    assert_accessible(page)
    page.get_by_role("button", name="Save and continue").click()

    # --- Upload a real PDF document. ---
    page.wait_for_url(re.compile(r".*/files/$"))
    page.get_by_label("Document type").select_option(index=0)
    page.get_by_label(re.compile(r"^File \(PDF")).set_input_files(
        {"name": "registration.pdf", "mimeType": "application/pdf", "buffer": registration_pdf()}
    )
    assert_accessible(page)
    page.get_by_role("button", name="Upload document").click()
    page.get_by_text("Document uploaded.").wait_for()
    expect(page.get_by_role("link", name="registration.pdf")).to_be_visible()
    shot(page, "j1-04-apply-document")
    page.get_by_role("link", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r".*/review/$"))
    assert page.get_by_text("Still missing:").count() == 0
    assert_accessible(page)
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Your application was submitted.").wait_for()
    assert page.get_by_test_id("application-status").inner_text() == "Submitted"
    shot(page, "j1-05-submitted")

    # --- The admin asks for a change. ---
    login(admin, site.platform, "admin@example.com", PASSWORD)
    admin.goto(f"{site.platform}/ops/applications/")
    assert_accessible(admin)
    admin.get_by_role("link", name="Sunrise Crafts GmbH").click()
    expect(admin.get_by_role("link", name="registration.pdf")).to_be_visible()
    shot(admin, "j1-06-ops-review")
    admin.get_by_label("Reason").fill("Please describe what you make in more detail.")
    assert_accessible(admin)
    admin.get_by_role("button", name="Request changes").click()
    admin.get_by_test_id("application-status").filter(has_text="Changes requested").wait_for()

    # --- The applicant sees the request, fixes the description and resubmits. ---
    page.goto(f"{site.platform}/sell/status/")
    page.get_by_text("Please describe what you make in more detail.").first.wait_for()
    shot(page, "j1-07-changes-requested")
    page.get_by_role("link", name="Update and resubmit").click()
    page.get_by_role("link", name=re.compile(r"3\. Store")).click()
    page.get_by_label("About your business").fill(
        "Hand-thrown stoneware mugs, bowls and vases, glazed and fired in our Berlin studio."
    )
    page.get_by_role("button", name="Save and continue").click()
    # The tax identity step comes next, kept as saved (the IBAN only as its masked reference).
    page.wait_for_url(re.compile(r".*/tax/$"))
    expect(page.get_by_label("Tax identification number (TIN)")).to_have_value(re.compile(r"08155$"))
    expect(page.get_by_label("IBAN of the account you are paid to")).to_have_value("")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r".*/files/$"))
    page.get_by_role("link", name="Continue", exact=True).click()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Your application was submitted.").wait_for()

    # --- The admin approves; provisioning runs in the real worker. ---
    admin.reload()
    assert admin.get_by_text("glazed and fired in our Berlin studio").is_visible()
    admin.get_by_role("button", name="Approve").click()
    admin.get_by_test_id("application-status").filter(has_text="Approved").wait_for()

    page.goto(f"{site.platform}/sell/status/")
    shot(page, "j1-08-provisioning")
    # htmx polls the progress every 2 s until the store is ready.
    page.get_by_text("Your store is ready.").wait_for(timeout=120_000)
    assert page.locator('#onboarding-progress [data-state="done"]').count() == page.locator(
        "#onboarding-progress [data-step]").count()
    assert_accessible(page)
    shot(page, "j1-09-store-ready")

    # --- The storefront is there on its own host. ---
    vendor_base = site.platform.replace("//marketplace.", f"//{SLUG}.marketplace.")
    page.goto(f"{vendor_base}/")
    expect(page.get_by_role("heading", name="Sunrise Crafts GmbH").first).to_be_visible()
    shot(page, "j1-10-storefront")

    # --- The owner completes Stripe onboarding on the emulator's account-link page. ---
    login(page, vendor_base, "nora@sunrise.example.com", PASSWORD)
    page.goto(f"{vendor_base}/dashboard/go-live/")
    assert_accessible(page)
    onboard = page.get_by_role("button", name="Complete Stripe onboarding")

    def onboarding_offered() -> bool:  # the Connect account is made by a task: reload until it is
        if onboard.is_enabled():
            return True
        page.reload()
        return False

    wait_until(onboarding_offered, message="the Stripe onboarding button")
    expect(page.locator('[data-item="stripe_onboarding"][data-done="0"]')).to_be_visible()
    shot(page, "j1-11-go-live")
    onboard.click()
    page.wait_for_url(re.compile(r".*/_emulator/connect/onboarding/acct_.*"))
    shot(page, "j1-12-stripe-onboarding")
    page.locator("#complete-onboarding").click()
    page.wait_for_url(f"{vendor_base}/dashboard/go-live/")
    for item in ("stripe_onboarding", "charges", "payouts"):
        expect(page.locator(f'[data-item="{item}"][data-done="1"]'), item).to_be_visible()
    assert page.get_by_role("button", name="Complete Stripe onboarding").count() == 0
    shot(page, "j1-13-stripe-done")

    from vendors.models import Vendor

    vendor = Vendor.objects.get(store__schema_name=SCHEMA)
    assert vendor.charges_enabled and vendor.status == Vendor.Status.ACTIVE

    # --- Later Stripe asks for more: the go-live page lists it in words, the owners get an email,
    # and the owner provides it on Stripe's page. ---
    mail.outbox.clear()
    emulator_control(emulator, f"/_emulator/accounts/{vendor.stripe_account_id}/requirements", {
        "currently_due": ["individual.verification.document", "business_profile.url"],
        "past_due": ["external_account"], "current_deadline": 1_900_000_000,
        "disabled_reason": "requirements.past_due"})
    requirements = page.locator("#stripe-requirements")

    def requirements_shown() -> bool:  # the signed webhook is applied by the worker: reload until then
        page.reload()
        return requirements.is_visible()

    wait_until(requirements_shown, message="the requirements on the go-live page")
    expect(requirements.get_by_test_id("requirements-past-due")).to_contain_text("Bank account for payouts")
    expect(requirements.get_by_test_id("requirements-currently-due")).to_contain_text(
        "Identity document (passport or ID card)")
    expect(requirements.get_by_text(re.compile(r"Due by .*2030"))).to_be_visible()
    expect(requirements.get_by_test_id("stripe-disabled-reason")).to_be_visible()
    assert_accessible(page)
    shot(page, "j1-13b-stripe-requirements")
    notice = wait_until(lambda: next((m for m in mail.outbox if "Stripe information is overdue" in m.subject),
                                     None), message="the requirements email")
    assert notice.to == ["nora@sunrise.example.com"] and "Business website" in notice.body
    page.get_by_role("button", name="Provide the missing details on Stripe").click()
    page.wait_for_url(re.compile(r".*/_emulator/connect/onboarding/acct_.*"))
    page.locator("#complete-onboarding").click()
    page.wait_for_url(f"{vendor_base}/dashboard/go-live/")
    expect(page.locator("#stripe-requirements")).to_have_count(0)
    expect(page.locator('[data-item="charges"][data-done="1"]')).to_be_visible()

    # --- The Money page opens the vendor's Stripe Express dashboard. ---
    page.goto(f"{vendor_base}/dashboard/money/")
    assert_accessible(page)
    shot(page, "j1-13c-money-stripe-dashboard")
    page.get_by_role("button", name="Open your Stripe Express dashboard").click()
    page.wait_for_url(re.compile(rf".*/_emulator/connect/dashboard/{vendor.stripe_account_id}$"))
    expect(page.get_by_role("heading", name="Express dashboard")).to_be_visible()
    shot(page, "j1-13d-express-dashboard")

    # --- The owner invites a staff member, who accepts from the email. ---
    mail.outbox.clear()
    page.goto(f"{vendor_base}/dashboard/team/")
    page.get_by_label("Email").fill("sam@sunrise.example.com")
    page.get_by_label("Role").select_option("staff")
    assert_accessible(page)
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent.").wait_for()
    expect(page.get_by_text("sam@sunrise.example.com (Staff)")).to_be_visible()
    shot(page, "j1-14-team-invited")
    message = wait_until(lambda: next((m for m in mail.outbox if "sam@sunrise.example.com" in m.to),
                                      None), message="the invitation email")
    accept_url = re.search(r"https?://\S+/sell/invitations/\S+/", message.body).group(0)

    from tests.factories import UserFactory

    UserFactory(email="sam@sunrise.example.com")
    login(staff, site.platform, "sam@sunrise.example.com", PASSWORD)
    staff.goto(accept_url)
    expect(staff.get_by_text("You are invited to join Sunrise Crafts GmbH as Staff.")).to_be_visible()
    staff.get_by_role("button", name="Accept the invitation").click()
    staff.wait_for_url(re.compile(rf"http://{SLUG}\.marketplace\.localhost:\d+/.*"))
    if "/accounts/login/" in staff.url:  # sessions are per host: log in on the store's host
        staff.get_by_label("Email").fill("sam@sunrise.example.com")
        staff.get_by_label("Password").fill(PASSWORD)
        staff.get_by_role("button", name="Sign In").click()
    staff.wait_for_url(re.compile(r".*/dashboard/$"))
    shot(staff, "j1-15-staff-dashboard")
    page.reload()
    members = page.get_by_role("table")
    expect(members.get_by_role("cell", name="sam@sunrise.example.com", exact=True)).to_be_visible()
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
