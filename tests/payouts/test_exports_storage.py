"""Finance exports never go to the public media bucket (issue 18, hole 8h)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

pytestmark = pytest.mark.django_db


def test_exports_never_go_to_the_public_media_bucket(settings: Any) -> None:
    from payouts import exports

    settings.AWS_STORAGE_BUCKET_NAME = "media-behind-the-cdn"
    settings.AWS_PRIVATE_BUCKET_NAME = ""
    settings.AWS_EXPORTS_BUCKET_NAME = ""
    with pytest.raises(ImproperlyConfigured, match="AWS_EXPORTS_BUCKET_NAME"):
        exports.export_storage()
    settings.AWS_PRIVATE_BUCKET_NAME = "private"
    assert exports.export_storage().bucket_name == "private"
    settings.AWS_EXPORTS_BUCKET_NAME = "exports"
    assert exports.export_storage().bucket_name == "exports"
