"""Reviews API: the JSON error body for every bad input, who may do what, and what each party sees."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Listing
from reviews import services
from reviews.models import Review, ReviewPhoto
from tests.factories import UserFactory
from tests.support.uploads import PDF_BYTES, png_bytes

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def _post(api, url, data=None):
    return api.post(url, json.dumps(data or {}), content_type="application/json")


def _error(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def test_buyer_reviews_through_the_api_with_a_photo(client_for, buyer, received_line, lamp):
    api = client_for(HOST, buyer)
    response = api.post("/api/v1/reviews/", {"order_line_id": received_line.pk, "rating": 5, "seller_rating": 4,
                                             "text": "Lovely light.",
                                             "photos": [SimpleUploadedFile("a.png", png_bytes())]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published" and body["rating"] == 5 and len(body["photos"]) == 1
    listing = Listing.objects.get(pk=lamp[0].pk)
    assert listing.rating_count == 1
    # Everyone reads it on the listing, without the moderation fields.
    public = client_for(HOST).get(f"/api/v1/listings/{listing.pk}/reviews/").json()
    assert [r["text"] for r in public["results"]] == ["Lovely light."]
    assert "status" not in public["results"][0] and "flags" not in public["results"][0]
    search = client_for(HOST).get("/api/v1/listings/", {"q": "Aurora"}).json()
    assert search["results"][0]["rating"] == "5.00" and search["results"][0]["rating_count"] == 1


@pytest.mark.parametrize(("payload", "status", "code", "field"), [
    ({"rating": 5, "text": "x" * 10_240}, 400, "invalid", "text"),
    ({"rating": 7}, 400, "invalid", "rating"),
    ({}, 400, "invalid", "rating"),
])
def test_bad_input_answers_a_json_error_and_stores_nothing(client_for, buyer, received_line, payload, status,
                                                           code, field):
    response = client_for(HOST, buyer).post("/api/v1/reviews/", json.dumps({"order_line_id": received_line.pk,
                                                                           **payload}),
                                            content_type="application/json")
    assert response.status_code == status
    error = _error(response)
    assert error["code"] == code and field in error["fields"]
    assert not Review.objects.exists()


def test_a_photo_that_is_not_an_image_is_a_400_and_nothing_is_stored(client_for, buyer, received_line):
    response = client_for(HOST, buyer).post("/api/v1/reviews/", {
        "order_line_id": received_line.pk, "rating": 4,
        "photos": [SimpleUploadedFile("a.png", png_bytes()), SimpleUploadedFile("b.jpg", PDF_BYTES)]})
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_review_photo"
    assert not Review.objects.exists() and not ReviewPhoto.objects.exists()


def test_someone_who_did_not_buy_gets_403_and_a_second_review_409(client_for, buyer, received_line):
    stranger = client_for(HOST, UserFactory())
    response = stranger.post("/api/v1/reviews/", {"order_line_id": received_line.pk, "rating": 1})
    assert response.status_code == 403 and _error(response)["code"] == "review_not_allowed"
    api = client_for(HOST, buyer)
    assert api.post("/api/v1/reviews/", {"order_line_id": received_line.pk, "rating": 5}).status_code == 201
    again = api.post("/api/v1/reviews/", {"order_line_id": received_line.pk, "rating": 2})
    assert again.status_code == 409 and _error(again)["code"] == "review_exists"
    assert Review.objects.count() == 1
    assert client_for(HOST).post("/api/v1/reviews/", {"order_line_id": received_line.pk, "rating": 5}
                                 ).status_code in (401, 403)


def test_helpful_and_report_answer_conflicts_on_repeat(client_for, buyer, received_line):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    reader = client_for(HOST, UserFactory())
    assert _post(reader, f"/api/v1/reviews/{review.pk}/helpful/").json()["helpful_count"] == 1
    assert _error(_post(reader, f"/api/v1/reviews/{review.pk}/helpful/"))["code"] == "already_voted"
    assert _post(reader, f"/api/v1/reviews/{review.pk}/reports/", {"reason": "Rude"}).status_code == 201
    assert _post(reader, f"/api/v1/reviews/{review.pk}/reports/", {"reason": "Rude"}).status_code == 409
    assert _post(reader, f"/api/v1/reviews/{review.pk}/reports/", {"reason": ""}).status_code == 400


def test_ops_moderate_through_the_api_and_others_are_refused(client_for, buyer, received_line, admin_user,
                                                              owner_a):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5,
                                    text="visit https://spam.example now")
    for user in (buyer, owner_a):
        api = client_for(HOST, user)
        assert api.get("/api/v1/ops/reviews/").status_code == 403
        assert _post(api, f"/api/v1/ops/reviews/{review.pk}/moderation/", {"action": "approve"}).status_code == 403
    ops = client_for(HOST, admin_user)
    queue = ops.get("/api/v1/ops/reviews/").json()
    assert [(r["id"], r["flags"]) for r in queue["results"]] == [(review.pk, ["links"])]
    refused = _post(ops, f"/api/v1/ops/reviews/{review.pk}/moderation/", {"action": "hide"})
    assert refused.status_code == 400 and "reason" in _error(refused)["fields"]
    done = _post(ops, f"/api/v1/ops/reviews/{review.pk}/moderation/", {"action": "hide", "reason": "Spam link"})
    assert done.status_code == 200 and done.json()["status"] == "hidden"
    mine = client_for(HOST, buyer).get("/api/v1/reviews/").json()["results"]
    assert [(r["status"], r["moderation_reason"]) for r in mine] == [("hidden", "Spam link")]


def test_vendor_lists_and_replies_on_its_host(client_for, buyer, received_line, vendor_a, owner_a):
    from tests.factories import MembershipFactory

    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=4)
    api = client_for(vendor_a, owner_a)
    assert [r["id"] for r in api.get("/api/v1/vendor/reviews/").json()["results"]] == [review.pk]
    response = _post(api, f"/api/v1/vendor/reviews/{review.pk}/reply/", {"text": "Thank you!"})
    assert response.status_code == 200 and response.json()["reply"]["text"] == "Thank you!"
    # Staff may read the reviews but not answer in the store's name (managers and owners do).
    staff = MembershipFactory(vendor=vendor_a, role="staff").user
    staff_api = client_for(vendor_a, staff)
    assert staff_api.get("/api/v1/vendor/reviews/").status_code == 200
    assert _post(staff_api, f"/api/v1/vendor/reviews/{review.pk}/reply/", {"text": "Hi"}).status_code == 403
    review.refresh_from_db()
    assert review.reply_text == "Thank you!"
