"""Journey: support. A platform admin (with two-factor) opens the ops home and sees what needs
attention, finds a buyer under Ops › Users, sees the marketplace as that buyer (read-only, with a
banner), is refused a change with a clear message, stops, and finds the start and the stop in the
audit log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditLogEntry
from payments.models import WebhookEvent
from tests.e2e.journeys import assert_accessible, follow, login
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_impersonates_a_buyer_read_only_and_the_audit_log_shows_it(
        page: Any, site: Any, shot: Any, admin_user: Any) -> None:
    buyer = UserFactory(email="journey-buyer@example.com", full_name="Jordan Journeybuyer")
    WebhookEvent.objects.create(stripe_id="evt_journey_failed", type="charge.refunded", created=1, payload={},
                                raw_body="{}", received_at=timezone.now(), status=WebhookEvent.Status.FAILED)

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/")
    expect(page.locator("#attention")).to_be_visible()
    expect(page.locator("#attention [data-attention]")).to_have_count(8)
    expect(page.locator('[data-attention="webhooks_failed"] [data-count]')).to_have_text("1")
    expect(page.locator("#sales-definition")).to_be_visible()
    assert_accessible(page)
    shot(page, "support-01-ops-home")

    follow(page, page.get_by_role("link", name="Users", exact=True))
    page.get_by_label("Email or name").fill("journeybuyer")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(lambda url: "q=journeybuyer" in url)
    expect(page.locator("#users tbody tr")).to_have_count(1)
    expect(page.locator("#users")).to_contain_text("Jordan Journeybuyer")
    assert_accessible(page)
    shot(page, "support-02-users")

    follow(page, page.get_by_role("link", name=buyer.email))
    page.locator("#impersonate").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    banner = page.locator("#impersonation-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"You are seeing the site as {buyer.email}, read-only")
    assert_accessible(page)
    shot(page, "support-03-impersonation-banner")

    # A change (the buyer's language, kept on their account) is refused, with the reason.
    page.locator("#language-select").select_option("de")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator("main")).to_contain_text("read-only: nothing can be changed")
    expect(page.locator("#impersonation-banner")).to_be_visible()
    assert_accessible(page)
    shot(page, "support-04-write-refused")
    buyer.refresh_from_db()
    assert buyer.language == ""

    page.locator("#impersonation-stop").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/ops/users/{buyer.pk}/")
    expect(page.locator("#impersonation-banner")).to_have_count(0)

    page.goto(f"{site.platform}/ops/audit/?verb=impersonation.&target_id={buyer.pk}")
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("impersonation.stop")
    expect(rows.nth(1)).to_contain_text("impersonation.start")
    expect(rows.nth(1)).to_contain_text(admin_user.email)
    assert_accessible(page)
    shot(page, "support-05-audit-log")
    assert AuditLogEntry.objects.filter(verb__startswith="impersonation.", actor=admin_user).count() == 2
