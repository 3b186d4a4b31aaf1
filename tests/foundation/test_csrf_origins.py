"""Same-origin posts need no CSRF trusted origin; another host is refused (issue 18, hole 8b)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_same_origin_posts_need_no_trusted_origin_and_other_hosts_are_refused(
    settings: Any, vendor_a: Any, vendor_b: Any
) -> None:
    from django.test import Client

    settings.CSRF_TRUSTED_ORIGINS = []
    client = Client(enforce_csrf_checks=True, HTTP_HOST=vendor_a.host)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    form = {"login": "x@example.com", "password": "wrong", "csrfmiddlewaretoken": token}
    same = client.post("/accounts/login/", form, HTTP_ORIGIN=f"http://{vendor_a.host}")
    assert same.status_code == 200  # the form answered (wrong password), CSRF passed
    other = client.post("/accounts/login/", form, HTTP_ORIGIN=f"http://{vendor_b.host}")
    assert other.status_code == 403
