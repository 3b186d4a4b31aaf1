"""DAC7 seller identity: format checks (python-stdnum), the onboarding step, approval moving it
to the vendor, the owner's dashboard page (own vendor only), and the privacy export/erasure."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.personal_data import personal_data_sections
from tests.factories import MembershipFactory, UserFactory
from vendors import services
from vendors.errors import InvalidSellerIdentity
from vendors.models import SellerIdentity
from vendors.seller_identity import iban_mask, identity_clean, seller_identity_save, tin_clean

pytestmark = pytest.mark.django_db

HOST = "marketplace.localhost"
IBAN = "DE89 3704 0044 0532 0130 00"
ENTITY = {
    "kind": "entity", "legal_name": "Page Shop GmbH", "tin": "181/815/08155", "tin_country": "DE",
    "vat_id": "DE 136 695 976", "street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin",
    "address_country": "DE", "business_registration_number": "HRB 12345", "iban": IBAN,
}
INDIVIDUAL = {
    "kind": "individual", "legal_name": "Marie Curie", "tin": "30 23 217 600 053", "tin_country": "FR",
    "street": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "address_country": "FR",
    "birth_date": "1980-05-17",
}


def _field_of(excinfo: pytest.ExceptionInfo[InvalidSellerIdentity]) -> str:
    return next(iter(excinfo.value.fields))


def test_tin_formats_of_the_country_are_checked_and_compacted():
    assert tin_clean("36 574 261 809", country="DE") == "36574261809"  # Steuer-IdNr
    assert tin_clean("30 23 217 600 053", country="FR") == "3023217600053"  # numéro fiscal
    assert tin_clean("181/815/08155", country="DE") == "18181508155"  # Steuernummer (a business)
    with pytest.raises(InvalidSellerIdentity) as excinfo:
        tin_clean("DE 1234", country="DE")
    assert _field_of(excinfo) == "tin"
    # No format known for the country: kept as typed, but only plain characters.
    assert tin_clean("abc-123/4", country="MX") == "ABC-123/4"
    with pytest.raises(InvalidSellerIdentity):
        tin_clean("<script>", country="MX")


def test_iban_is_validated_and_only_a_masked_reference_is_kept():
    assert iban_mask(IBAN) == "DE•• •••• 3000"
    with pytest.raises(InvalidSellerIdentity) as excinfo:
        iban_mask("DE89 3704 0044 0532 0130 01")
    assert _field_of(excinfo) == "iban"
    clean = identity_clean(dict(ENTITY))
    assert "iban" not in clean and clean["iban_masked"] == "DE•• •••• 3000"
    assert clean["vat_id"] == "DE136695976"


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "individual"}, "birth_date"),  # an individual needs a birth date
    ({"business_registration_number": ""}, "business_registration_number"),
    ({"vat_id": "DE123"}, "vat_id"),
    ({"street": " "}, "street"),
    ({"kind": "trust"}, "kind"),
])
def test_incomplete_or_malformed_identity_is_refused_on_its_field(change, field):
    with pytest.raises(InvalidSellerIdentity) as excinfo:
        identity_clean({**ENTITY, **change})
    assert _field_of(excinfo) == field


def test_an_individual_must_be_an_adult():
    too_young = (dt.date.today() - dt.timedelta(days=365 * 10)).isoformat()
    with pytest.raises(InvalidSellerIdentity) as excinfo:
        identity_clean({**INDIVIDUAL, "birth_date": too_young})
    assert _field_of(excinfo) == "birth_date"
    assert identity_clean(dict(INDIVIDUAL))["birth_date"] == dt.date(1980, 5, 17)


def test_onboarding_step_saves_the_identity_and_approval_gives_it_to_the_vendor(
        client_for, applicant, make_application, admin_user):
    application = make_application(applicant, slug="idshop", submit=False)
    client = client_for(HOST, applicant)
    page = client.get("/sell/application/tax/")
    assert page.status_code == 200 and b"Tax identification number" in page.content
    bad = client.post("/sell/application/tax/", {**ENTITY, "tin": "12", "iban": "nope"})
    assert bad.status_code == 200 and b"not a valid tax identification number" in bad.content
    assert not SellerIdentity.objects.exists()  # nothing half-written
    saved = client.post("/sell/application/tax/", ENTITY)
    assert saved["Location"] == "/sell/application/files/"
    review = client.get("/sell/application/review/").content.decode()
    assert "Page Shop GmbH" in review and "DE•• •••• 3000" in review and "0130 00" not in review
    application = services.application_submit(application=application, actor=applicant)
    application = services.application_approve(application=application, actor=admin_user)
    identity = SellerIdentity.objects.get()
    assert identity.vendor == application.vendor and identity.application == application


def test_owner_edits_the_identity_on_the_dashboard_and_nobody_else_sees_it(client_for, vendor_a, vendor_b, owner_a,
                                                                            owner_b):
    seller_identity_save(data=dict(ENTITY), vendor=vendor_a)
    client = client_for(vendor_a, owner_a)
    page = client.get("/dashboard/tax-identity/")
    assert page.status_code == 200 and "Page Shop GmbH" in page.content.decode()
    refused = client.post("/dashboard/tax-identity/", {**ENTITY, "tin": "DE1"})
    assert refused.status_code == 200 and SellerIdentity.objects.get(vendor=vendor_a).tin == "18181508155"
    changed = client.post("/dashboard/tax-identity/", {**ENTITY, "legal_name": "Alpha Trading GmbH", "iban": ""})
    assert changed["Location"] == "/dashboard/tax-identity/"
    identity = SellerIdentity.objects.get(vendor=vendor_a)
    assert identity.legal_name == "Alpha Trading GmbH" and identity.iban_masked == "DE•• •••• 3000"  # kept
    # Vendor B's owner on B's host sees B's (empty) form, never A's identity; on A's host: refused.
    other = client_for(vendor_b, owner_b).get("/dashboard/tax-identity/")
    assert other.status_code == 200 and "Alpha Trading" not in other.content.decode()
    assert client_for(vendor_a, owner_b).get("/dashboard/tax-identity/").status_code in (302, 403, 404)
    staff = MembershipFactory(vendor=vendor_a, role="staff").user
    assert client_for(vendor_a, staff).get("/dashboard/tax-identity/").status_code == 403


def test_privacy_export_has_the_identity_and_erasure_keeps_what_tax_law_needs(vendor_a, owner_a, applicant,
                                                                              make_application):
    section = personal_data_sections()["seller_identity"]
    seller_identity_save(data=dict(INDIVIDUAL), vendor=vendor_a)
    exported = section.export(owner_a)["seller_identities"]
    assert [(row["legal_name"], row["tin"], row["birth_date"]) for row in exported] == [
        ("Marie Curie", "3023217600053", "1980-05-17")]
    assert section.export(UserFactory())["seller_identities"] == []
    # A draft application's identity (no store, nothing reported) goes; the store's stays.
    draft = make_application(applicant, slug="gone", submit=False)
    seller_identity_save(data=dict(ENTITY), application=draft)
    assert section.erase(applicant) == {"seller_identities": 1}
    assert section.erase(owner_a) == {"seller_identities": 0}
    assert SellerIdentity.objects.filter(vendor=vendor_a).exists()
