"""Demo onboarding data for `make run`: applications waiting in the review queue. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from vendors import services
from vendors.models import VendorApplication

DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

DEMO_APPLICATIONS = [
    ("applicant@umbrella.example.com", "Umbrella Garden Supplies", "umbrella", "NL",
     "Garden tools and seeds, shipped from Rotterdam.", True),
    ("applicant@hooli.example.com", "Hooli Home", "hooli", "DE",
     "Sustainable home goods (draft: not yet submitted).", False),
]


def demo_applications_seed(*, password: str) -> list[tuple[str, str, str]]:
    """One application submitted and waiting for review, one draft. Returns login rows."""
    from django.apps import apps

    category_model = apps.get_model("marketplace", "Category")
    category_ids = list(category_model.objects.order_by("path").values_list("pk", flat=True)[:2])
    rows: list[tuple[str, str, str]] = []
    for email, name, slug, country, description, submit in DEMO_APPLICATIONS:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, password, full_name=f"{name} Applicant"
        )
        if not VendorApplication.objects.filter(applicant=user).exists():
            application = services.application_create(
                applicant=user, business_name=name, legal_form="company", country=country,
                currency="EUR", contact_name=user.full_name, contact_email=email,
                contact_phone="+31 10 1234567", slug=slug, categories=category_ids,
                description=description,
            )
            upload: Any = SimpleUploadedFile("registration.pdf", DEMO_PDF)
            services.application_document_add(application=application, actor=user, upload=upload)
            if submit:
                services.application_submit(application=application, actor=user)
        rows.append((f"applicant ({slug})", email, "/sell/status/"))
    return rows
