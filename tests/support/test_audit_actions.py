"""Every support and trust action writes its platform audit entry inside its own transaction: who,
why, before and after; a buyer's privacy requests are staff-only; vendor A's dashboard log never
shows an entry about vendor B."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import AuditLogEntry
from catalog.services import outbox_publish_pending
from marketplace.models import Listing
from messaging.models import Message, Thread
from messaging.services import buyer_block, buyer_unblock, message_report
from orders.models import Order
from reviews.models import Review
from reviews.services import review_moderate
from support.errors import RefundExceedsRemaining
from support.services import privacy
from support.services.refunds import order_refund_manual
from support.services.takedowns import listing_take_down, takedown_appeal, takedown_decide
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.factories.orders import paid_orders, sellable_variant
from vendors import services as vendor_services

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


def _entry(verb, **scope):
    return AuditLogEntry.objects.get(verb=verb, **scope)


def _listing(vendor, name):
    with schema_context(vendor.store.schema_name):
        product = ProductFactory(name=name, stock=5)
        outbox_publish_pending()
    return Listing.objects.get(vendor=vendor, product_id=product.pk)


def _review(buyer, vendor, status=Review.Status.PENDING):
    line = OrderFactory(buyer=buyer, items=[(vendor, sellable_variant(vendor, price=1500), 1)],
                        status=Order.Status.FULFILLED).lines.get()
    return Review.objects.create(order_line=line, buyer=buyer, vendor=vendor, product_id=1, product_name="Lamp",
                                 rating=2, text="Meh", status=status)


def _thread(buyer, vendor, owner):
    sub = OrderFactory(buyer=buyer, items=[(vendor, sellable_variant(vendor, price=1500), 1)]).sub_orders.get()
    thread = Thread.objects.create(kind=Thread.Kind.ORDER, vendor=vendor, buyer=buyer, sub_order=sub,
                                   subject="Order", last_message_at=timezone.now())
    question = Message.objects.create(thread=thread, author=buyer, role="buyer", body="You are all crooks")
    return thread, question


def test_a_manual_refund_is_logged_per_vendor_part_and_a_refused_one_not_at_all(
    buyer, vendor_a, vendor_b, admin_user, gateway_on_emulator,
):
    paid_order = paid_orders(buyer)
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2000, stock=5), 1),
                       (vendor_b, sellable_variant(vendor_b, price=3000, stock=5), 1))
    sub_b = order.sub_orders.get(vendor=vendor_b)
    order_refund_manual(order_id=order.pk, sub_order_id=sub_b.pk, amount=1000, reason="Goodwill for the delay",
                        actor=admin_user)
    entry = _entry("order.refund_manual")
    assert (entry.actor_id, entry.reason, entry.vendor_id, entry.object_pk) == (
        admin_user.pk, "Goodwill for the delay", vendor_b.pk, str(order.pk))
    assert entry.changes["refunded_amount"] == [0, 1000] and entry.changes["amount"] == [None, 1000]
    with pytest.raises(RefundExceedsRemaining):
        order_refund_manual(order_id=order.pk, sub_order_id=sub_b.pk, amount=999_999, reason="too much",
                            actor=admin_user)
    assert AuditLogEntry.objects.filter(verb="order.refund_manual").count() == 1  # rolled back with it


def test_takedown_appeal_restore_and_reject_are_logged(vendor_a, owner_a, admin_user):
    first, second = _listing(vendor_a, "Brass Candle Holder"), _listing(vendor_a, "Tin Whistle")
    takedown = listing_take_down(listing_id=first.pk, actor=admin_user, reason="Counterfeit")
    takedown_appeal(takedown_id=takedown.pk, vendor=vendor_a, actor=owner_a, text="Invoice attached")
    takedown_decide(takedown_id=takedown.pk, actor=admin_user, accept=True, note="Invoice checks out")
    other = listing_take_down(listing_id=second.pk, actor=admin_user, reason="Weapon")
    takedown_appeal(takedown_id=other.pk, vendor=vendor_a, actor=owner_a, text="It is a toy")
    takedown_decide(takedown_id=other.pk, actor=admin_user, accept=False, note="Not a toy")
    down = _entry("listing.takedown", object_pk=str(takedown.pk))
    assert (down.actor_id, down.reason, down.vendor_id) == (admin_user.pk, "Counterfeit", vendor_a.pk)
    assert down.changes["visible"] == [True, False]
    appeal = _entry("listing.takedown_appeal", object_pk=str(takedown.pk))
    assert (appeal.actor_id, appeal.reason, appeal.changes["status"]) == (owner_a.pk, "Invoice attached",
                                                                           ["taken_down", "appealed"])
    restore = _entry("listing.takedown_restore")
    assert (restore.actor_id, restore.reason, restore.changes["status"]) == (
        admin_user.pk, "Invoice checks out", ["appealed", "restored"])
    reject = _entry("listing.takedown_reject")
    assert (reject.object_pk, reject.reason, reject.changes["status"]) == (str(other.pk), "Not a toy",
                                                                           ["appealed", "upheld"])


def test_privacy_export_and_erasure_are_logged_for_staff_only_without_the_erased_email(admin_user, settings,
                                                                                       tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    buyer = UserFactory(email="private-person@example.com", full_name="Pia Private")
    privacy.privacy_export_request(user=buyer, actor=admin_user, origin="staff")
    privacy.buyer_erase(user_id=buyer.pk, actor=admin_user, origin="staff")
    export, erase = _entry("buyer.export"), _entry("buyer.erase")
    assert (export.actor_id, export.vendor_visible, export.object_pk) == (admin_user.pk, False, str(buyer.pk))
    assert (erase.actor_id, erase.vendor_visible, erase.reason) == (admin_user.pk, False, "erasure (staff)")
    assert erase.changes["is_active"] == [True, False]
    assert erase.changes["email"] == ["[personal]", f"erased-{buyer.pk}@erased.invalid"]
    # The append-only log never receives the address or name the erasure removed.
    logged = [str(e.changes) + e.object_repr for e in AuditLogEntry.objects.filter(timestamp__gte=erase.timestamp)]
    assert not any("private-person@" in text or "Pia Private" in text for text in logged)


def test_closing_and_reopening_a_store_are_logged_once_each(vendor_a, owner_a, admin_user):
    before = AuditLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    vendor_services.vendor_close(vendor=vendor_a, actor=owner_a, reason="Retiring")
    vendor_services.vendor_reopen(vendor=vendor_a, actor=admin_user, reason="Changed their mind")
    # One entry per action (the vendor's own audit row feeds the log), besides the record of the
    # vendor's saved status (a model change, its own kind of entry).
    logged = AuditLogEntry.objects.filter(pk__gt=before, vendor_id=vendor_a.pk)
    actions = logged.exclude(verb="vendors.vendor.update")
    assert sorted(actions.values_list("verb", flat=True)) == ["vendors.vendor.close", "vendors.vendor.reopen"]
    close, reopen = _entry("vendors.vendor.close"), _entry("vendors.vendor.reopen")
    assert (close.actor_id, close.reason, close.vendor_id) == (owner_a.pk, "Retiring", vendor_a.pk)
    assert (close.changes["from_status"][1], close.changes["to_status"][1]) == ("active", "closed")
    assert (reopen.actor_id, reopen.reason, reopen.vendor_id) == (admin_user.pk, "Changed their mind", vendor_a.pk)
    assert (reopen.changes["from_status"][1], reopen.changes["to_status"][1]) == ("closed", "active")
    status_changes = logged.filter(verb="vendors.vendor.update")
    assert [entry.changes["status"] for entry in status_changes.order_by("pk")] == [
        ["active", "closed"], ["closed", "active"]]


def test_review_moderation_is_logged(buyer, vendor_a, admin_user):
    review = _review(buyer, vendor_a)
    review_moderate(admin=admin_user, review_id=review.pk, action="hide", reason="Insults the courier")
    entry = _entry("review.moderate")
    assert (entry.actor_id, entry.reason, entry.vendor_id, entry.object_pk) == (
        admin_user.pk, "Insults the courier", vendor_a.pk, str(review.pk))
    assert entry.changes["status"] == ["pending", "hidden"]


def test_message_report_block_and_unblock_are_logged(buyer, vendor_a, owner_a):
    thread, question = _thread(buyer, vendor_a, owner_a)
    message_report(thread=thread, message_id=question.pk, reporter=owner_a, role="vendor", reason="Abusive")
    buyer_block(vendor=vendor_a, buyer=buyer, actor=owner_a)
    buyer_block(vendor=vendor_a, buyer=buyer, actor=owner_a)  # already blocked: nothing new
    buyer_unblock(vendor=vendor_a, buyer=buyer, actor=owner_a)
    report = _entry("message.report")
    assert (report.actor_id, report.reason, report.vendor_id, report.changes["reported"]) == (
        owner_a.pk, "Abusive", vendor_a.pk, [False, True])
    block = _entry("message.block")
    assert (block.actor_id, block.vendor_id, block.changes["blocked"]) == (owner_a.pk, vendor_a.pk, [False, True])
    unblock = _entry("message.unblock")
    assert (unblock.actor_id, unblock.changes["blocked"]) == (owner_a.pk, [True, False])


def test_vendor_a_dashboard_log_never_shows_vendor_bs_actions(buyer, vendor_a, vendor_b, owner_a, owner_b,
                                                             admin_user, client_for):
    listing_take_down(listing_id=_listing(vendor_a, "Alpha Lamp").pk, actor=admin_user, reason="alpha-takedown")
    listing_take_down(listing_id=_listing(vendor_b, "Bravo Lamp").pk, actor=admin_user, reason="bravo-takedown")
    review_moderate(admin=admin_user, review_id=_review(buyer, vendor_b).pk, action="hide", reason="bravo-review")
    thread, question = _thread(buyer, vendor_b, owner_b)
    message_report(thread=thread, message_id=question.pk, reporter=owner_b, role="vendor", reason="bravo-report")
    buyer_block(vendor=vendor_b, buyer=buyer, actor=owner_b)
    vendor_services.vendor_close(vendor=vendor_b, actor=owner_b, reason="bravo-close")
    privacy.privacy_export_request(user=buyer, actor=admin_user, origin="staff")
    page = client_for(vendor_a, owner_a).get("/dashboard/audit/?verb=")
    assert page.status_code == 200
    html = page.content.decode()
    assert "alpha-takedown" in html
    for theirs in ("bravo-takedown", "bravo-review", "bravo-report", "bravo-close", "message.block", "buyer.export"):
        assert theirs not in html, theirs
    # Vendor B's own log has them (the test would pass vacuously otherwise).
    theirs_page = client_for(vendor_b, owner_b).get("/dashboard/audit/").content.decode()
    assert "bravo-takedown" in theirs_page and "message.block" in theirs_page and "buyer.export" not in theirs_page
    csv = b"".join(client_for(vendor_a, owner_a).get("/dashboard/audit/export.csv").streaming_content).decode()
    assert "alpha-takedown" in csv and "bravo" not in csv
