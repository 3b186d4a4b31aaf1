"""Journey: invoices. A buyer pays for items of two vendors, downloads each vendor's invoice from
the order page; each vendor lists only its own invoices and downloads them; finance lists all."""

from __future__ import annotations

import pytest

from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    login,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _download(page, link, tmp_path) -> bytes:
    with page.expect_download() as info:
        link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_bytes()


def test_buyer_downloads_invoices_vendor_and_finance_list_them(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    tmp_path, vendor_a, vendor_b, owner_a, buyer, finance_user,
):
    from payouts.models import Invoice

    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=11_900, stock=9, name="Copper Kettle"))
    tray = publish_listing(vendor_b, sellable_variant(vendor_b, price=2_150, stock=9, name="Oak Tray"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Parcel", base_amount=390)
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [kettle, tray])
    wait_until(lambda: Invoice.objects.filter(sub_order__order=order).count() == 2, message="two invoices issued")
    invoices = {i.vendor_id: i for i in Invoice.objects.filter(sub_order__order=order)}

    # --- The buyer: one invoice per vendor on the order page, each a PDF of its own. ---
    page.goto(f"{site.platform}/orders/{order.pk}/")
    listed = page.get_by_test_id("invoices")
    assert listed.count() == 2
    assert_accessible(page)
    shot(page, "j10-01-buyer-order-invoices")
    kettle_invoice = invoices[vendor_a.pk]
    # Each vendor numbers its own series: both parts may carry the same number, so pick by vendor part.
    link = listed.locator(f'a[href="/orders/invoices/{kettle_invoice.pk}.pdf"]')
    assert link.inner_text() == f"Invoice {kettle_invoice.number}"
    pdf = _download(page, link, tmp_path)
    assert pdf.startswith(b"%PDF") and f"Invoice {kettle_invoice.number}".encode() in pdf
    assert b"VAT breakdown" in pdf and b"Copper Kettle" in pdf and b"Oak Tray" not in pdf

    # --- Vendor A: its own invoice only, downloadable. ---
    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.goto(f"{site.vendor(vendor_a)}/dashboard/money/invoices/")
    assert_accessible(page)
    rows = page.locator("#invoice-table tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-number") == kettle_invoice.number
    assert "Oak Tray" not in page.content()
    shot(page, "j10-02-vendor-invoices")
    pdf = _download(page, page.get_by_role("link", name=f"Download {kettle_invoice.number}"), tmp_path)
    assert b"Copper Kettle" in pdf

    # --- Finance: every vendor's invoices. ---
    login(page, site.platform, finance_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/finance/")
    page.get_by_role("link", name="Invoices").click()
    page.wait_for_url(f"{site.platform}/ops/finance/invoices/")
    assert_accessible(page)
    vendors = page.locator("#invoice-table tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(vendors) == sorted([vendor_a.name, vendor_b.name])
    shot(page, "j10-03-finance-invoices")
