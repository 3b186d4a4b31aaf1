"""Recommendations on the pages (ADR 0095): the product page's bought-together and similar rows
(query count pinned), recently viewed for visitors and buyers, the home page's personal rows, the
order confirmation's row; hidden listings never shown, another buyer's data never shown."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.recommendations import recommendations_refresh
from marketplace.models import Category, Listing, ListingView
from marketplace.recommendations import RECENT_COOKIE
from orders.models import Order
from tests.factories import UserFactory, VendorFactory
from tests.factories.recommendations import basket_order
from tests.marketplace.helpers import make_listing
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict[str, Any]:
    outdoor = Category.objects.create(name="Outdoor", slug="outdoor", path="outdoor")
    acme, globex = VendorFactory(slug="acmep", name="Acme"), VendorFactory(slug="globexp", name="Globex")
    items = {
        "tent": make_listing(acme, "Trail tent", category_id=outdoor.pk),
        "stove": make_listing(globex, "Camping stove", category_id=outdoor.pk),
        "mug": make_listing(globex, "Enamel mug", category_id=outdoor.pk),
        "lamp": make_listing(acme, "Tent lamp", category_id=outdoor.pk),
        "acme": acme, "globex": globex,
    }
    others = [UserFactory() for _ in range(3)]
    for other in others:
        basket_order(other, [items["tent"], items["stove"]])
    basket_order(others[0], [items["tent"], items["mug"]])
    recommendations_refresh()
    return items


PLATFORM = "marketplace.localhost"


def _section(body: str, section_id: str) -> str:
    return body.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


def test_product_page_shows_bought_together_then_similar_in_pinned_queries(
        platform_client: Any, shop: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    tent = shop["tent"]
    with django_assert_max_num_queries(11):  # test_pages' product page count: two of them are these rows
        response = platform_client.get(f"/p/{tent.pk}/{tent.handle}/")
    body = response.content.decode()
    assert response.status_code == 200
    together = _section(body, "bought-together")
    assert "Frequently bought together" in together
    assert together.index("Camping stove") < together.index("Enamel mug")  # 3 buyers before 1
    similar = _section(body, "similar-items")
    assert "Tent lamp" in similar and "Camping stove" not in similar  # not shown twice on the page
    assert f'hx-post="/recommendations/viewed/{tent.pk}/"' in body


def test_a_suspended_vendor_or_sold_out_listing_disappears_at_once(platform_client: Any, shop: dict[str, Any]) -> None:
    tent = shop["tent"]
    Vendor.objects.filter(pk=shop["globex"].pk).update(status=Vendor.Status.SUSPENDED)
    Listing.objects.filter(pk=shop["lamp"].pk).update(in_stock=False)
    body = platform_client.get(f"/p/{tent.pk}/{tent.handle}/").content.decode()
    # (The lamp may still show under "More from Acme", which lists the vendor's out-of-stock items too.)
    assert 'id="bought-together"' not in body and 'id="similar-items"' not in body
    assert "Camping stove" not in body and "Enamel mug" not in body


def test_an_anonymous_visitor_keeps_recently_viewed_in_a_signed_cookie(platform_client: Any, client_for: Any,
                                                                       shop: dict[str, Any]) -> None:
    tent, stove, lamp = shop["tent"], shop["stove"], shop["lamp"]
    first = platform_client.post(f"/recommendations/viewed/{tent.pk}/")
    assert first.status_code == 200 and 'id="recently-viewed"' not in first.content.decode()
    assert first.cookies[RECENT_COOKIE]["httponly"]
    platform_client.post(f"/recommendations/viewed/{stove.pk}/")
    third = platform_client.post(f"/recommendations/viewed/{lamp.pk}/").content.decode()
    recent = _section(third, "recently-viewed")
    assert recent.index("Camping stove") < recent.index("Trail tent") and "Tent lamp" not in recent
    home = platform_client.get("/recommendations/").content.decode()
    assert _section(home, "recently-viewed").index("Tent lamp") < _section(home, "recently-viewed").index("Trail tent")
    assert "Inspired by what you viewed" in home  # similar items of what was viewed, for anyone
    # A forged cookie is ignored, not trusted.
    forged = client_for(PLATFORM)
    forged.cookies[RECENT_COOKIE] = f"{tent.pk},{stove.pk}"
    assert 'id="recently-viewed"' not in forged.get("/recommendations/").content.decode()


def test_a_signed_in_buyer_gets_their_own_views_and_picks_and_never_another_buyers(
        client_for: Any, shop: dict[str, Any]) -> None:
    me, someone = UserFactory(), UserFactory()
    client = client_for(PLATFORM, me)
    # Viewed while signed out, then signed in: the cookie's views move into the buyer's rows.
    client.logout()
    client.post(f"/recommendations/viewed/{shop['lamp'].pk}/")
    client.force_login(me)
    response = client.post(f"/recommendations/viewed/{shop['tent'].pk}/")
    assert response.cookies[RECENT_COOKIE].value == ""  # dropped
    assert list(ListingView.objects.filter(user=me).order_by("-viewed_at").values_list("listing_id", flat=True)) == [
        shop["tent"].pk, shop["lamp"].pk]
    basket_order(me, [shop["tent"]])
    recommendations_refresh()
    home = client.get("/recommendations/").content.decode()
    inspired = _section(home, "inspired")
    assert "Camping stove" in inspired and "Trail tent" not in inspired
    assert "Trail tent" in _section(home, "recently-viewed")
    other = client_for(PLATFORM, someone).get("/recommendations/").content.decode()
    assert "Trail tent" not in other and 'id="inspired"' not in other


def test_unknown_or_hidden_listings_are_not_noted(platform_client: Any, shop: dict[str, Any]) -> None:
    draft = make_listing(shop["acme"], "Draft kettle", status="draft")
    assert platform_client.post(f"/recommendations/viewed/{draft.pk}/").status_code == 404
    assert platform_client.post("/recommendations/viewed/999999/").status_code == 404
    assert platform_client.get(f"/recommendations/viewed/{shop['tent'].pk}/").status_code == 405


def test_the_order_confirmation_recommends_for_the_orders_buyer_only(
        client_for: Any, shop: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    me, stranger = UserFactory(), UserFactory()
    order = basket_order(me, [shop["tent"]])
    client = client_for(PLATFORM, me)
    # Host (2), session and user (2), the order with its parts (3), its lines, the items' listings,
    # the pairs, the similar items filling the row, the day's exchange rates for the cards (ADR 0096).
    with django_assert_max_num_queries(13):
        response = client.get(f"/orders/{order.pk}/recommendations/")
    row = _section(response.content.decode(), "order-recommendations")
    assert row.index("Camping stove") < row.index("Enamel mug") and "Trail tent" not in row
    assert f'hx-get="/orders/{order.pk}/recommendations/"' in client.get(f"/orders/{order.pk}/status/").content.decode()
    assert client_for(PLATFORM, stranger).get(f"/orders/{order.pk}/recommendations/").status_code == 404
    pending = basket_order(me, [shop["tent"]], status=Order.Status.PENDING_PAYMENT)
    assert 'id="order-recommendations"' not in client.get(f"/orders/{pending.pk}/recommendations/").content.decode()
