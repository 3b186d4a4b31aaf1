"""Bodies larger than any allowed upload get 413 before being read (issue 18, hole 8e)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def test_a_body_larger_than_any_allowed_upload_is_refused_before_it_is_read(client_for: Any) -> None:
    too_big = django_settings.REQUEST_BODY_MAX_BYTES + 1
    # The body sent is tiny: reading past it would fail the test client, so a 413 proves the
    # server answered from the declared length alone.
    response = client_for(HOST).generic("POST", "/cart/add/", b"x=1", CONTENT_TYPE="application/x-www-form-urlencoded",
                                        CONTENT_LENGTH=str(too_big))
    assert response.status_code == 413


def test_the_body_limit_fits_the_largest_allowed_upload() -> None:
    from catalog.csv_io import MAX_CSV_BYTES
    from disputes.services.attachments import ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX
    from vendors.uploads import DOCUMENT_MAX_BYTES

    largest = max(MAX_CSV_BYTES, ATTACHMENTS_MAX * ATTACHMENT_MAX_BYTES, DOCUMENT_MAX_BYTES)
    assert largest < django_settings.REQUEST_BODY_MAX_BYTES <= largest + 2 * 1024 * 1024
