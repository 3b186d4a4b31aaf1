"""Reviews isolation: vendor B cannot see, reply to or learn the moderation of vendor A's reviews
through pages or the API; a vendor's own dashboard shows no moderation details; a vendor host's
connection sees only its vendor's review rows (row-level security)."""

from __future__ import annotations

import pytest

from orders.models import Order
from reviews import services
from reviews.models import Review, ReviewEvent
from tests.e2e.journeys import publish_listing
from tests.factories import OrderFactory
from tests.factories.orders import sellable_variant
from tests.support.state import rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "public"


@pytest.fixture
def review_of_a(buyer, vendor_a):
    """A published review of vendor A's product, and one held for moderation."""
    variant = sellable_variant(vendor_a, name="Alpha Lamp")
    publish_listing(vendor_a, variant)
    order = OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1), (vendor_a, sellable_variant(vendor_a), 1)],
                         status=Order.Status.FULFILLED)
    first, second = order.lines.order_by("pk")
    published = services.review_create(buyer=buyer, order_line_id=first.pk, rating=2, text="Alpha public words")
    held = services.review_create(buyer=buyer, order_line_id=second.pk, rating=1,
                                  text="Alpha held words http://spam.example")
    assert (published.status, held.status) == ("published", "pending")
    return published, held


def test_vendor_b_cannot_reply_to_vendor_a_reviews_by_page_or_api(client_for, review_of_a, vendor_b, owner_b):
    published, held = review_of_a
    before = rows(Review, ReviewEvent)
    dash = client_for(vendor_b, owner_b)
    page = dash.get("/dashboard/reviews/")
    assert page.status_code == 200 and b"Alpha public words" not in page.content
    assert b"Alpha held words" not in page.content
    api = dash.get("/api/v1/vendor/reviews/").json()
    assert api["count"] == 0
    for review in (published, held):
        assert dash.post(f"/dashboard/reviews/{review.pk}/reply/", {"text": "Bravo says hi"}).status_code == 404
        response = dash.post(f"/api/v1/vendor/reviews/{review.pk}/reply/", {"text": "Bravo says hi"},
                             content_type="application/json")
        assert response.status_code == 404 and b"Alpha" not in response.content
    assert rows(Review, ReviewEvent) == before


def test_vendor_selectors_are_scoped_without_the_database_policy(review_of_a, vendor_a, vendor_b):
    """The selectors filter by vendor themselves: unbound (platform code, where row-level security
    does not apply) vendor B's lists and lookups find nothing of A's."""
    from reviews import selectors
    from reviews.errors import ReviewNotFound

    published, _held = review_of_a
    assert list(selectors.reviews_of_vendor_published(vendor=vendor_a)) == [published]
    assert not selectors.reviews_of_vendor_published(vendor=vendor_b).exists()
    with pytest.raises(ReviewNotFound):
        selectors.review_for_vendor(vendor=vendor_b, review_id=published.pk)


def test_vendor_b_owner_is_refused_on_vendor_a_host(client_for, review_of_a, vendor_a, owner_b):
    published, _held = review_of_a
    on_a = client_for(vendor_a, owner_b)
    assert on_a.get("/dashboard/reviews/").status_code == 404
    assert on_a.get("/api/v1/vendor/reviews/").status_code == 403
    assert on_a.post(f"/api/v1/vendor/reviews/{published.pk}/reply/", {"text": "x"},
                     content_type="application/json").status_code == 403
    published.refresh_from_db()
    assert published.reply_text == ""


def test_no_vendor_sees_moderation_details_not_even_its_own(client_for, review_of_a, vendor_a, owner_a, vendor_b,
                                                            owner_b, admin_user):
    published, held = review_of_a
    services.review_moderate(admin=admin_user, review_id=published.pk, action="hide", reason="Secret ops reason")
    for vendor, owner in ((vendor_a, owner_a), (vendor_b, owner_b)):
        client = client_for(vendor, owner)
        for path in ("/dashboard/reviews/", "/api/v1/vendor/reviews/"):
            body = client.get(path).content
            assert b"Secret ops reason" not in body and b"Alpha held words" not in body
            assert b"flags" not in body and b"moderation_reason" not in body
    # Ops pages and API are refused to vendor owners on the platform host too.
    platform = client_for("marketplace.localhost", owner_b)
    assert platform.get(f"/ops/moderation/{held.pk}/").status_code == 403
    assert platform.get("/api/v1/ops/reviews/").status_code == 403


def test_a_vendor_hosts_connection_sees_only_its_own_review_rows(client_for, review_of_a, vendor_b, owner_b, buyer):
    """Row-level security: even a query without the vendor filter finds no row of vendor A's."""
    from django.db import connection

    from vendors.row_security import request_scope

    with request_scope(vendor_b.store.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reviews_review")
        assert cursor.fetchone()[0] == 0
    assert Review.objects.count() == 2
