"""Listing takedowns: hidden from search and the product page at once and across the vendor's
edits, the vendor told and shown, an appeal that ops restore or reject; refusals change nothing;
vendor A never sees vendor B's takedowns."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from catalog.services import outbox_publish_pending
from marketplace.models import Listing, ListingTakedown, ListingTakedownEvent
from marketplace.services import listings_rebuild, listings_show_for_vendor
from support.errors import (
    InvalidSupportRequest,
    ListingAlreadyGone,
    TakedownNotFound,
    TakedownStateConflict,
)
from support.services.takedowns import (
    TAKEDOWN_TRANSITIONS,
    listing_take_down,
    takedown_appeal,
    takedown_decide,
)
from tests.factories import ProductFactory
from tests.support.state import rows

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


def _listing(vendor, name="Brass Candle Holder") -> Listing:
    with schema_context(vendor.store.schema_name):
        product = ProductFactory(name=name, stock=5)
        outbox_publish_pending()
    return Listing.objects.get(vendor=vendor, product_id=product.pk)


def _state():
    return rows(Listing, ListingTakedown, ListingTakedownEvent)


def test_a_takedown_hides_the_listing_at_once_and_tells_the_vendor(
    vendor_a, admin_user, client_for, mailoutbox, django_capture_on_commit_callbacks,
):
    listing = _listing(vendor_a)
    shop = client_for(PLATFORM)
    assert shop.get(f"/p/{listing.pk}/{listing.handle}/").status_code == 200
    admin = client_for(PLATFORM, admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/ops/support/listings/{listing.pk}/takedown/", {"reason": "Counterfeit brand"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.vendor_visible is False
    assert shop.get(f"/p/{listing.pk}/{listing.handle}/").status_code == 404
    assert "Brass Candle Holder" not in shop.get("/search/", {"q": "Brass Candle"}).content.decode()
    takedown = ListingTakedown.objects.get(listing=listing)
    event = takedown.events.get()
    assert (event.action, event.actor, event.reason) == ("taken_down", admin_user, "Counterfeit brand")
    assert len(mailoutbox) == 1 and "Counterfeit brand" in mailoutbox[0].body
    assert vendor_a.memberships.get(role="owner").user.email in mailoutbox[0].to
    # The vendor's next edit, and its reinstatement after a suspension, do not bring it back.
    with schema_context(vendor_a.store.schema_name):
        from catalog.models import Product
        from catalog.services import product_update

        product_update(product=Product.objects.get(pk=listing.product_id), name="Brass Candle Holder v2")
        outbox_publish_pending()
    listings_show_for_vendor(vendor_id=vendor_a.pk)
    listing.refresh_from_db()
    assert listing.title == "Brass Candle Holder v2" and listing.vendor_visible is False
    listings_rebuild(vendor_ids=[vendor_a.pk])  # nor a rebuild of the projection
    listing.refresh_from_db()
    assert listing.vendor_visible is False


def test_taking_down_a_listing_already_gone_is_refused_and_changes_nothing(vendor_a, admin_user, client_for):
    listing = _listing(vendor_a)
    listing_take_down(listing_id=listing.pk, actor=admin_user, reason="Unsafe")
    before = _state()
    with pytest.raises(ListingAlreadyGone):
        listing_take_down(listing_id=listing.pk, actor=admin_user, reason="Again")
    page = client_for(PLATFORM, admin_user).post(f"/ops/support/listings/{listing.pk}/takedown/",
                                                 {"reason": "Again", "q": "Brass"}, follow=True)
    assert "already taken down" in page.content.decode()
    deleted = _listing(vendor_a, name="Gone Lamp")
    Listing.objects.filter(pk=deleted.pk).update(status=Listing.Status.DELETED)
    before = _state()
    with pytest.raises(ListingAlreadyGone):
        listing_take_down(listing_id=deleted.pk, actor=admin_user, reason="Unsafe")
    with pytest.raises(InvalidSupportRequest):
        listing_take_down(listing_id=deleted.pk, actor=admin_user, reason="  ")
    assert _state() == before


def test_the_vendor_appeals_and_ops_restore_the_listing(vendor_a, owner_a, admin_user, client_for):
    listing = _listing(vendor_a)
    takedown = listing_take_down(listing_id=listing.pk, actor=admin_user, reason="Trademark complaint")
    dashboard = client_for(vendor_a, owner_a)
    page = dashboard.get("/dashboard/takedowns/").content.decode()
    assert "Trademark complaint" in page
    response = dashboard.post(f"/dashboard/takedowns/{takedown.pk}/", {"appeal_text": "We own the mark"})
    assert response.status_code == 302
    takedown.refresh_from_db()
    assert (takedown.status, takedown.appeal_text) == ("appealed", "We own the mark")
    with pytest.raises(TakedownStateConflict):
        takedown_appeal(takedown_id=takedown.pk, vendor=vendor_a, actor=owner_a, text="Again")
    admin = client_for(PLATFORM, admin_user)
    assert "We own the mark" in admin.get("/ops/support/takedowns/").content.decode()
    admin.post(f"/ops/support/takedowns/{takedown.pk}/restore/")
    takedown.refresh_from_db()
    listing.refresh_from_db()
    assert takedown.status == "restored" and listing.vendor_visible is True
    assert list(takedown.events.values_list("action", "actor")) == [
        ("taken_down", admin_user.pk), ("appealed", owner_a.pk), ("restored", admin_user.pk)]
    assert client_for(PLATFORM).get(f"/p/{listing.pk}/{listing.handle}/").status_code == 200


def test_a_rejected_appeal_keeps_the_listing_down_and_needs_a_reason(vendor_a, owner_a, admin_user):
    listing = _listing(vendor_a)
    takedown = listing_take_down(listing_id=listing.pk, actor=admin_user, reason="Unsafe")
    takedown_appeal(takedown_id=takedown.pk, vendor=vendor_a, actor=owner_a, text="It is safe")
    before = _state()
    with pytest.raises(InvalidSupportRequest):
        takedown_decide(takedown_id=takedown.pk, actor=admin_user, accept=False, note="")
    assert _state() == before
    takedown_decide(takedown_id=takedown.pk, actor=admin_user, accept=False, note="Test report attached")
    listing.refresh_from_db()
    assert listing.vendor_visible is False
    with pytest.raises(TakedownStateConflict):
        takedown_decide(takedown_id=takedown.pk, actor=admin_user, accept=True)


def test_the_transition_table_is_walked_completely():
    statuses = set(ListingTakedown.Status.values)
    assert set(TAKEDOWN_TRANSITIONS) == statuses
    assert all(targets <= statuses for targets in TAKEDOWN_TRANSITIONS.values())


def test_vendor_a_never_sees_or_appeals_vendor_bs_takedowns(vendor_a, vendor_b, owner_a, admin_user, client_for):
    listing_b = _listing(vendor_b, name="Bravo Secret Vase")
    takedown = listing_take_down(listing_id=listing_b.pk, actor=admin_user, reason="Bravo secret reason")
    before = _state()
    for client in (client_for(vendor_a, owner_a), client_for(vendor_b, owner_a)):
        listing_page = client.get("/dashboard/takedowns/")
        assert "Bravo secret reason" not in listing_page.content.decode()
        assert client.get(f"/dashboard/takedowns/{takedown.pk}/").status_code == 404
        assert client.post(f"/dashboard/takedowns/{takedown.pk}/", {"appeal_text": "mine"}).status_code == 404
    with pytest.raises(TakedownNotFound):
        takedown_appeal(takedown_id=takedown.pk, vendor=vendor_a, actor=owner_a, text="mine")
    assert _state() == before
    assert client_for(PLATFORM, owner_a).post(f"/ops/support/listings/{listing_b.pk}/takedown/",
                                               {"reason": "x"}).status_code == 403


def test_a_taken_down_product_is_gone_from_the_vendors_own_storefront_until_restored(
    vendor_a, owner_a, admin_user, client_for,
):
    listing = _listing(vendor_a, "Brass Candle Holder")
    _listing(vendor_a, "Pewter Jug")
    storefront = client_for(vendor_a)
    home = storefront.get("/").content.decode()
    # The storefront links its own host's product page (SEO branch, ADR 0091), not the marketplace's.
    own_page = f"/products/{listing.product_id}/{listing.handle}/"
    assert "Brass Candle Holder" in home and own_page in home
    assert storefront.get(own_page).status_code == 200
    takedown = listing_take_down(listing_id=listing.pk, actor=admin_user, reason="Counterfeit")
    home = storefront.get("/").content.decode()
    assert "Brass Candle Holder" not in home and "Pewter Jug" in home
    assert "Brass Candle Holder" not in storefront.get("/", {"q": "Brass"}).content.decode()
    # Its marketplace product page is gone, by link or by id.
    shop = client_for(PLATFORM)
    assert shop.get(f"/p/{listing.pk}/{listing.handle}/").status_code == 404
    assert shop.get(f"/p/{listing.pk}/").status_code == 404
    # And so is its page on the vendor's own host, by link or by id.
    assert storefront.get(own_page).status_code == 404
    assert storefront.get(f"/products/{listing.product_id}/").status_code == 404
    takedown_appeal(takedown_id=takedown.pk, vendor=vendor_a, actor=owner_a, text="Genuine")
    takedown_decide(takedown_id=takedown.pk, actor=admin_user, accept=True)
    assert "Brass Candle Holder" in storefront.get("/").content.decode()
    assert storefront.get(own_page).status_code == 200
