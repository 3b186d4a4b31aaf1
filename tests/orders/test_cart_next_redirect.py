"""The cart's error branch goes back to `next` only when it is a page of this site."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "http://marketplace.localhost.evil.example/"])
def test_an_outside_next_is_ignored(platform_client, target):
    response = platform_client.post("/cart/add/", {"vendor_id": "999999", "variant_id": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/cart/"


def test_a_local_next_is_kept(platform_client):
    response = platform_client.post("/cart/add/", {"vendor_id": "999999", "variant_id": "1",
                                                   "next": "/p/alpha/lantern/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/p/alpha/lantern/?x=1"
