"""Fixtures of the onboarding tests: private media in a temp dir, applications, the emulator.

Uploaded files are made by tests/support/uploads.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.factories import UserFactory
from tests.support.uploads import pdf_upload
from vendors import services
from vendors.models import VendorApplication


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def category(db: Any) -> Any:
    from marketplace.models import Category

    return Category.objects.create(name="Outdoor", slug="outdoor-test", path="outdoor-test")


@pytest.fixture
def applicant(db: Any) -> Any:
    return UserFactory(email="applicant@example.com", full_name="Ann Applicant")


@pytest.fixture
def make_application(db: Any, category: Any) -> Callable[..., VendorApplication]:
    """`make_application(user, slug=..., submit=True)`: a complete application, submitted or not."""

    def make(user: Any = None, *, slug: str = "newshop", submit: bool = True,
             **overrides: Any) -> VendorApplication:
        user = user or UserFactory()
        fields = {
            "business_name": f"{slug.title()} GmbH", "legal_form": "company", "country": "DE",
            "currency": "EUR", "contact_name": "Ann", "contact_email": user.email,
            "contact_phone": "+49 30 123456", "slug": slug, "categories": [category.pk],
            "description": "We sell good things.", **overrides,
        }
        application = services.application_create(applicant=user, **fields)
        services.application_document_add(application=application, actor=user, upload=pdf_upload())
        if submit:
            application = services.application_submit(application=application, actor=user)
        return application

    return make


@pytest.fixture
def submitted(make_application: Callable[..., VendorApplication], applicant: Any) -> VendorApplication:
    return make_application(applicant, slug="newshop")


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Any]:
    from stripe_emulator.server import EmulatorServer

    server = EmulatorServer(port=0, webhook_secret="whsec_onboarding_tests").start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: Any, settings: Any) -> Iterator[Any]:
    """The Stripe emulator, reset, with the gateway pointed at it."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = emulator_server.url
    settings.STRIPE_WEBHOOK_SECRET = "whsec_onboarding_tests"
    emulator_server.reset()
    yield emulator_server
    emulator_server.reset()

