"""Uploads checked by content and size; documents private to the applicant and admins."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from common.exceptions import ApplicationError
from tests.factories import UserFactory
from tests.support.uploads import PDF_BYTES, pdf_upload, png_upload
from vendors import services, uploads
from vendors.models import ApplicationDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(applicant):
    return services.application_create(applicant=applicant, business_name="Docs Ltd")


def test_document_is_stored_privately_with_the_type_from_its_content(draft, applicant):
    document = services.application_document_add(
        application=draft, actor=applicant, upload=pdf_upload("my scan.png")
    )
    assert document.content_type == "application/pdf"
    assert document.original_name == "my scan.png"
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / document.file.name
    assert stored.read_bytes() == PDF_BYTES
    assert stored.suffix == ".pdf"
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018  (no public URL exists)


@pytest.mark.parametrize("content", [
    b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,  # a Windows executable named .pdf
    b"just some text pretending to be a pdf",
    b"<html><script>alert(1)</script></html>",
])
def test_wrong_type_is_refused_by_content_not_by_name(draft, applicant, content):
    upload = SimpleUploadedFile("contract.pdf", content, content_type="application/pdf")
    with pytest.raises(ApplicationError) as error:
        services.application_document_add(application=draft, actor=applicant, upload=upload)
    assert error.value.code == "upload_type_not_allowed"
    assert not ApplicationDocument.objects.exists()


def test_oversized_document_is_refused(draft, applicant, monkeypatch):
    big = PDF_BYTES + b"0" * (uploads.DOCUMENT_MAX_BYTES + 1 - len(PDF_BYTES))
    with pytest.raises(ApplicationError) as error:
        services.application_document_add(application=draft, actor=applicant,
                                          upload=SimpleUploadedFile("big.pdf", big))
    assert error.value.code == "upload_too_large"
    assert not ApplicationDocument.objects.exists()


def test_empty_file_is_refused(draft, applicant):
    with pytest.raises(ApplicationError) as error:
        services.application_document_add(application=draft, actor=applicant,
                                          upload=SimpleUploadedFile("e.pdf", b""))
    assert error.value.code == "invalid_upload"


def test_logo_must_be_an_image(draft, applicant):
    with pytest.raises(ApplicationError):
        services.application_logo_set(application=draft, actor=applicant, upload=pdf_upload())
    updated = services.application_logo_set(application=draft, actor=applicant, upload=png_upload())
    assert updated.logo.name.endswith(".png")


def test_documents_download_only_for_applicant_and_admins(
    draft, applicant, admin_user, finance_user, client_for, vendor_a, owner_a
):
    document = services.application_document_add(application=draft, actor=applicant,
                                                 upload=pdf_upload())
    url = f"/sell/documents/{document.pk}/"
    own = client_for("marketplace.localhost", applicant).get(url)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PDF_BYTES
    assert own["Content-Disposition"].startswith("attachment")
    assert own["Cache-Control"] == "private, no-store"
    assert client_for("marketplace.localhost", admin_user).get(url).status_code == 200
    for outsider in (UserFactory(), finance_user, owner_a):
        assert client_for("marketplace.localhost", outsider).get(url).status_code == 404
    anonymous = client_for("marketplace.localhost").get(url)
    assert anonymous.status_code == 302
    # Not reachable through the public media route either, on any host.
    for host in ("marketplace.localhost", vendor_a.host):
        assert client_for(host).get(f"/media/{document.file.name}").status_code == 404
        assert client_for(host).get(f"/media/public/{document.file.name}").status_code == 404


def test_documents_cannot_change_once_submitted(submitted):
    with pytest.raises(ApplicationError) as error:
        services.application_document_add(application=submitted, actor=submitted.applicant,
                                          upload=pdf_upload())
    assert error.value.status_code == 409
    assert submitted.documents.count() == 1


def test_an_admin_without_required_two_factor_cannot_download_documents(draft, applicant, client_for, settings):
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    document = services.application_document_add(application=draft, actor=applicant, upload=pdf_upload())
    bare = UserFactory(email="bare-docs-admin@example.com", platform_role="admin", totp=False)
    response = client_for("marketplace.localhost", bare).get(f"/sell/documents/{document.pk}/")
    assert response.status_code == 404
    # The same admin once two-factor is set up (the factory's default) may.
    full = UserFactory(email="full-docs-admin@example.com", platform_role="admin")
    assert client_for("marketplace.localhost", full).get(f"/sell/documents/{document.pk}/").status_code == 200
