"""Review pages: the form and its errors, the product page (escaped text), the vendor's replies,
the moderation queue, and the rating on the search card and the storefront."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reviews import services
from reviews.models import Review
from tests.factories import UserFactory
from tests.support.uploads import PDF_BYTES

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_buyer_sees_the_line_to_review_and_writes_the_review(client_for, buyer, received_line, lamp):
    page = client_for(HOST, buyer)
    listing = page.get("/reviews/")
    assert listing.status_code == 200 and f"/reviews/new/{received_line.pk}/".encode() in listing.content
    response = page.post(f"/reviews/new/{received_line.pk}/", {"rating": "5", "seller_rating": "4",
                                                               "text": "Warm light"})
    assert response.status_code == 302 and response["Location"] == "/reviews/"
    assert Review.objects.get().status == "published"
    # Reviewed: no longer offered, and its form is gone.
    assert f"/reviews/new/{received_line.pk}/".encode() not in page.get("/reviews/").content
    assert page.get(f"/reviews/new/{received_line.pk}/").status_code == 404


@pytest.mark.parametrize(("data", "files", "message"), [
    ({"rating": "5", "text": "x" * 10_240}, {}, b"Write at most 2000 characters."),
    ({"text": "No stars"}, {}, b"Choose from 1 to 5 stars."),
    ({"rating": "5"}, {"photos": SimpleUploadedFile("cat.jpg", PDF_BYTES)}, b"is not an image we can read"),
])
def test_form_errors_are_shown_and_nothing_is_stored(client_for, buyer, received_line, data, files, message):
    response = client_for(HOST, buyer).post(f"/reviews/new/{received_line.pk}/", {**data, **files})
    assert response.status_code == 422 and message in response.content
    assert not Review.objects.exists()


def test_another_buyers_line_has_no_form(client_for, received_line):
    stranger = client_for(HOST, UserFactory())
    assert stranger.get(f"/reviews/new/{received_line.pk}/").status_code == 404
    assert stranger.post(f"/reviews/new/{received_line.pk}/", {"rating": "5"}).status_code == 404
    assert not Review.objects.exists()


def test_product_page_shows_the_rating_and_escapes_the_text(client_for, buyer, received_line, lamp):
    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=4, text=SCRIPT)
    listing = lamp[0]
    html = client_for(HOST).get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert 'data-rating="4.00"' in html and "from 1 review" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_helpful_vote_by_htmx_swaps_the_button(client_for, buyer, received_line, lamp):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    reader = client_for(HOST, UserFactory())
    response = reader.post(f"/reviews/{review.pk}/helpful/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"1 found this helpful" in response.content
    again = reader.post(f"/reviews/{review.pk}/helpful/", HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and b"already" in again.content
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_report_form_sends_the_review_to_moderation(client_for, buyer, received_line, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    reader = client_for(HOST, UserFactory())
    assert reader.post(f"/reviews/{review.pk}/report/", {"reason": ""}).status_code == 422
    assert reader.post(f"/reviews/{review.pk}/report/", {"reason": "Insulting"}).status_code == 302
    queue = client_for(HOST, admin_user).get("/ops/moderation/")
    assert f'data-review="{review.pk}"'.encode() in queue.content and b"1 report" in queue.content


def test_ops_hide_with_a_reason_from_the_queue(client_for, buyer, received_line, lamp, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5,
                                    text="Buy it at www.cheap-lamps.example.com")
    ops = client_for(HOST, admin_user)
    detail = ops.get(f"/ops/moderation/{review.pk}/")
    assert detail.status_code == 200 and b"Contains a link" in detail.content
    refused = ops.post(f"/ops/moderation/{review.pk}/", {"action": "hide", "reason": ""})
    assert refused.status_code == 422 and b"This field is required." in refused.content
    assert ops.post(f"/ops/moderation/{review.pk}/", {"action": "hide", "reason": "Advertising"}).status_code == 302
    review.refresh_from_db()
    assert review.status == "hidden" and review.moderated_by == admin_user
    for user in (buyer, UserFactory()):
        assert client_for(HOST, user).get("/ops/moderation/").status_code == 403


def test_vendor_replies_from_the_dashboard_and_the_reply_shows_on_the_product_page(
        client_for, buyer, received_line, lamp, vendor_a, owner_a):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=3, seller_rating=5,
                                    text="Cable too short")
    dash = client_for(vendor_a, owner_a)
    page = dash.get("/dashboard/reviews/")
    assert page.status_code == 200 and b"Cable too short" in page.content
    assert b"Buyers rate you as a seller 5.0" in page.content
    assert dash.post(f"/dashboard/reviews/{review.pk}/reply/", {"text": ""}).status_code == 422
    assert dash.post(f"/dashboard/reviews/{review.pk}/reply/", {"text": "A longer one ships now."}
                     ).status_code == 302
    listing = lamp[0]
    html = client_for(HOST).get(f"/p/{listing.pk}/{listing.handle}/").content
    assert b"The seller replied" in html and b"A longer one ships now." in html
    assert b"Seller rated 5.0 by 1 buyer" in html


def test_search_card_and_storefront_show_the_rating(client_for, buyer, received_line, lamp, vendor_a):
    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    search = client_for(HOST).get("/search/", {"q": "Aurora"}).content.decode()
    assert 'class="listing-rating mb-1" data-rating="5.00"' in search and "5.0 (1 review)" in search
    storefront = client_for(vendor_a).get("/").content.decode()
    assert "5.0 (1 review)" in storefront


def test_vendor_dashboard_does_not_show_held_reviews_or_why(client_for, buyer, received_line, vendor_a, owner_a):
    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=1,
                           text="Held text with http://link.example")
    page = client_for(vendor_a, owner_a).get("/dashboard/reviews/").content
    assert b"Held text" not in page and b"Contains a link" not in page


def test_new_account_rating_bomb_is_in_the_queue(client_for, vendor_a, lamp, shipped_line_for, admin_user):
    for n in range(3):
        user = UserFactory(date_joined=timezone.now() - timedelta(hours=2))
        services.review_create(buyer=user, order_line_id=shipped_line_for(user, vendor_a, lamp[1]).pk, rating=1,
                               text=f"Awful {n}")
    queue = client_for(HOST, admin_user).get("/ops/moderation/").content
    assert b"Low rating from a new account among several" in queue
