"""The OpenAPI schema and its docs need a signed-in user (issue 18, hole 8d)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_schema_and_its_docs_need_a_signed_in_user(path: str, client_for: Any, vendor_a: Any) -> None:
    for host in (HOST, vendor_a.host):
        assert client_for(host).get(path).status_code in (401, 403)
        assert client_for(host, UserFactory(email="reader@example.com")).get(path).status_code == 200
