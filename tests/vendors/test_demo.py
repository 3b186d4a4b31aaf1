"""The demo seed puts an application in the review queue, once."""

from __future__ import annotations

import pytest

from vendors.demo import demo_applications_seed
from vendors.models import VendorApplication

pytestmark = pytest.mark.django_db


def test_demo_seed_leaves_one_application_pending_review_and_is_idempotent(category, client_for,
                                                                          admin_user):
    rows = demo_applications_seed(password="demo-pass-1234")
    demo_applications_seed(password="demo-pass-1234")
    assert [row[1] for row in rows] == ["applicant@umbrella.example.com",
                                       "applicant@hooli.example.com"]
    assert list(VendorApplication.objects.order_by("slug").values_list("slug", "status")) == [
        ("hooli", "draft"), ("umbrella", "submitted")]
    queue = client_for("marketplace.localhost", admin_user).get("/ops/applications/")
    assert b"Umbrella Garden Supplies" in queue.content
    assert b"Hooli Home" not in queue.content
