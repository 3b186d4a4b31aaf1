"""Event collection: visitor ids, robots, floods, the page hooks, purchases and the append-only table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from analytics.models import Event
from analytics.services import events_flush, events_insert, page_events_capture, search_term_clean
from analytics.visitors import visitor_id
from orders.events import subscribers_for
from tests.analytics.conftest import BROWSER
from tests.factories import OrderFactory, ProductFactory
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)


def test_visitor_id_is_stable_within_a_day_and_changes_the_next(settings):
    settings.ANALYTICS_VISITOR_SECRET = "s3cret"
    monday = visitor_id(ip="203.0.113.9", user_agent=BROWSER, day=date(2026, 3, 9))
    assert monday == visitor_id(ip="203.0.113.9", user_agent=BROWSER, day=date(2026, 3, 9))
    assert monday != visitor_id(ip="203.0.113.9", user_agent=BROWSER, day=date(2026, 3, 10))
    assert monday != visitor_id(ip="203.0.113.10", user_agent=BROWSER, day=date(2026, 3, 9))
    assert len(monday) == 32 and "203" not in monday


def test_visitor_id_cannot_be_recomputed_without_the_secret(settings):
    """A keyed hash: whoever has the table but not the secret cannot try addresses against it."""
    import hashlib

    settings.ANALYTICS_VISITOR_SECRET = "s3cret"
    stored = visitor_id(ip="203.0.113.9", user_agent=BROWSER, day=date(2026, 3, 9))
    plain = hashlib.sha256(f"203.0.113.9\x1f{BROWSER}".encode()).hexdigest()[:32]
    settings.ANALYTICS_VISITOR_SECRET = "another"
    assert stored not in (plain, visitor_id(ip="203.0.113.9", user_agent=BROWSER, day=date(2026, 3, 9)))


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0", "python-requests/2.32", "",
])
def test_robots_are_not_counted(event_buffer, agent):
    buffered = page_events_capture(notes=[{"kind": "view", "listing_id": 1, "vendor_id": 2, "product_id": 3}],
                                   ip="203.0.113.9", user_agent=agent, at=AT)
    assert buffered == 0
    assert events_flush() == 0


def test_a_flood_from_one_client_counts_once_per_object_and_minute(event_buffer):
    note = {"kind": "view", "listing_id": 11, "vendor_id": 2, "product_id": 3}
    other = {"kind": "view", "listing_id": 12, "vendor_id": 2, "product_id": 4}
    results = [page_events_capture(notes=[note], ip="203.0.113.9", user_agent=BROWSER, at=AT) for _ in range(50)]
    assert results == [1] + [0] * 49
    assert page_events_capture(notes=[other], ip="203.0.113.9", user_agent=BROWSER, at=AT) == 1
    # Another visitor's view of the same product is its own event.
    assert page_events_capture(notes=[note], ip="198.51.100.7", user_agent=BROWSER, at=AT) == 1
    assert events_flush() == 3
    rows = list(Event.objects.filter(occurred_at=AT).values_list("kind", "listing_id").order_by("listing_id"))
    assert rows == [("view", 11), ("view", 11), ("view", 12)]


def test_search_terms_keep_no_personal_data():
    assert search_term_clean("  Red   SHOES ") == "red shoes"
    assert search_term_clean("order for jane.doe@example.com") == "order for [redacted]"
    assert search_term_clean("call +49 170 1234567") == "call [redacted]"
    assert len(search_term_clean("x" * 500)) == 100


def test_product_page_and_search_are_recorded_after_the_response(event_buffer, platform_client, vendor_a, relay,
                                                                 in_schema, fresh_search_cache):
    from marketplace.models import Listing

    with in_schema(vendor_a):
        product = ProductFactory(name="Alpine Lantern")
    relay(vendor_a)
    listing = Listing.objects.get(vendor=vendor_a, product_id=product.pk)
    headers = {"HTTP_USER_AGENT": BROWSER}
    assert platform_client.get(f"/p/{listing.pk}/{listing.handle}/", **headers).status_code == 200
    assert platform_client.get("/search/?q=zzqxv", **headers).status_code == 200
    assert platform_client.get("/search/?q=lantern", **headers).status_code == 200
    assert events_flush() == 3
    view = Event.objects.get(kind="view")
    assert (view.listing_id, view.vendor_id, view.product_id) == (listing.pk, vendor_a.pk, product.pk)
    searches = dict(Event.objects.filter(kind="search").values_list("term", "zero_results"))
    assert searches == {"zzqxv": True, "lantern": False}
    assert len(view.visitor) == 32


def test_a_paid_order_is_recorded_as_purchases_once(vendor_a, vendor_b, django_capture_on_commit_callbacks):
    from analytics import subscribers

    assert (subscribers.order_paid, True) in subscribers_for("order.paid")
    a = sellable_variant(vendor_a, price=1500)
    b = sellable_variant(vendor_b, price=700)
    with django_capture_on_commit_callbacks(execute=True):
        order = OrderFactory(items=[(vendor_a, a, 2), (vendor_b, b, 1)])
    rows = sorted(Event.objects.filter(kind="purchase", order_id=order.pk).values_list("vendor_id", "quantity", "amount"))
    assert rows == sorted([(vendor_a.pk, 2, 3000), (vendor_b.pk, 1, 700)])
    subscribers.order_paid(order.events.get(kind="order.paid"))  # a replayed event
    assert Event.objects.filter(kind="purchase", order_id=order.pk).count() == 2


def test_the_event_table_refuses_updates_and_deletes():
    events_insert([{"occurred_at": AT, "kind": "view", "visitor": "v" * 32, "vendor_id": 1}])
    for statement in ("UPDATE analytics_event SET kind = 'search'", "DELETE FROM analytics_event"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert Event.objects.filter(occurred_at=AT).count() == 1


def test_events_land_in_their_months_partition():
    events_insert([{"occurred_at": AT, "kind": "view", "visitor": "v" * 32}])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM analytics_event WHERE occurred_at = %s", [AT])
        assert cursor.fetchone()[0] == "analytics_event_y2026m03"


def test_the_vendor_host_product_page_is_a_view_counted_once_with_the_marketplace_page(
        event_buffer, platform_client, client_for, vendor_a, vendor_b, relay, in_schema, today):
    from marketplace.models import Listing

    with in_schema(vendor_a):
        product = ProductFactory(name="Alpine Lantern")
    with in_schema(vendor_b):  # a product id vendor A has not got (ids are per schema)
        other = max((ProductFactory(name="Bravo Kettle"), ProductFactory(name="Bravo Pan")), key=lambda p: p.pk)
    relay(vendor_a)
    relay(vendor_b)
    listing = Listing.objects.get(vendor=vendor_a, product_id=product.pk)
    other_listing = Listing.objects.get(vendor=vendor_b, product_id=other.pk)
    headers = {"HTTP_USER_AGENT": BROWSER}
    vendor_host = client_for(vendor_a)
    # `today` holds the clock at noon: both hosts are seen within the same minute.
    assert vendor_host.get(f"/products/{product.pk}/{listing.handle}/", **headers).status_code == 200
    assert platform_client.get(f"/p/{listing.pk}/{listing.handle}/", **headers).status_code == 200
    assert vendor_host.get(f"/products/{product.pk}/{listing.handle}/", **headers).status_code == 200
    # Vendor B's product asked for on vendor A's host: not found, and no view of anyone's.
    assert other.pk != product.pk
    assert vendor_host.get(f"/products/{other.pk}/{other_listing.handle}/", **headers).status_code == 404
    assert events_flush() == 1
    view = Event.objects.get(kind="view")
    assert (view.listing_id, view.vendor_id, view.product_id) == (listing.pk, vendor_a.pk, product.pk)
    # Another visitor (another browser) on the vendor host is a view of its own.
    assert vendor_host.get(f"/products/{product.pk}/{listing.handle}/",
                           HTTP_USER_AGENT=BROWSER.replace("131.0", "130.0")).status_code == 200
    assert events_flush() == 1 and Event.objects.filter(kind="view", product_id=product.pk).count() == 2
