"""Journey: a vendor owner records the store's DAC7 tax identity, sees its annual tax report,
translates a product into German, and a buyer browsing in German finds it by a German plural;
finance reads the DAC7 and 1099-K page of the year (docs/adr/0088, 0089)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.e2e.journeys import assert_accessible, login
from tests.factories.accounts import PASSWORD
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_records_tax_identity_translates_a_product_and_finance_reads_dac7(
    page, site, shot, live_server, task_worker, _journey_media, vendor_a, owner_a, finance_user,
):
    from django_tenants.utils import schema_context

    from marketplace.models import ListingTranslation
    from tests.factories import ProductFactory

    with schema_context(vendor_a.store.schema_name):
        product = ProductFactory(name="Leather walking boot", status="active", description="<p>Sturdy.</p>")
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)

    # --- The tax identity: a wrong TIN is a form error; a good one is kept, the IBAN masked. ---
    page.goto(f"{store}/dashboard/tax-identity/")
    page.get_by_label("You sell as").select_option("entity")
    page.get_by_label("Legal name (first and last name, or the entity's name)").fill("Alpha Trading GmbH")
    page.get_by_label("Tax identification number (TIN)").fill("12")
    page.get_by_label("Street and number").fill("Hauptstraße 1")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Business registration number (entities)").fill("HRB 12345")
    page.get_by_label("IBAN of the account you are paid to").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Save tax identity").click()
    page.get_by_text("not a valid tax identification number").first.wait_for()
    page.get_by_label("Tax identification number (TIN)").fill("181/815/08155")
    page.get_by_label("IBAN of the account you are paid to").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Save tax identity").click()
    page.get_by_text("Your tax identity was saved.").wait_for()
    assert "DE•• •••• 3000" in page.get_by_test_id("identity-current").inner_text()
    assert_accessible(page)
    shot(page, "j-tax-01-identity")

    # --- The store's own annual report. ---
    page.goto(f"{store}/dashboard/money/tax-report/")
    page.get_by_role("heading", name="Annual tax report (DAC7)").wait_for()
    assert_accessible(page)
    shot(page, "j-tax-02-vendor-report")

    # --- A German translation of the product, searched in German. ---
    page.goto(f"{store}/dashboard/products/{product.pk}/translations/")
    page.locator("#id_language").select_option("de")
    page.get_by_label("Title", exact=True).fill("Schuh aus Leder")
    page.get_by_label("Description").fill("<p>Ein fester Wanderschuh.</p>")
    page.get_by_role("button", name="Save translation").click()
    page.get_by_text("Translation saved.").wait_for()
    assert "Schuh aus Leder" in page.get_by_test_id("translations").inner_text()
    assert_accessible(page)
    shot(page, "j-tax-03-translations")
    wait_until(lambda: ListingTranslation.objects.filter(listing__product_id=product.pk, language="de").exists(),
               message="the German translation in the listing projection")
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": site.platform}])
    page.goto(f"{site.platform}/search/?q=Schuhe")
    page.get_by_role("link", name="Schuh aus Leder").first.wait_for()
    shot(page, "j-tax-04-search-de")

    # --- Finance: the year's DAC7 sellers and the 1099-K threshold. ---
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": site.platform}])
    login(page, site.platform, finance_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/finance/dac7/?year={timezone.now().year}")
    page.get_by_role("heading", name="US Form 1099-K threshold").wait_for()
    assert_accessible(page)
    shot(page, "j-tax-05-finance-dac7")
