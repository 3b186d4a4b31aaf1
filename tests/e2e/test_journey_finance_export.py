"""Journey 6: finance requests this month's payout report as XLSX, waits for its progress (the real
worker builds it), downloads it, and its totals match the transfers page and the vendors' pages."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

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


def amount(shown: str) -> Decimal:
    """'1,234.50 EUR' → Decimal('1234.50')."""
    return Decimal(shown.replace("\xa0", " ").split()[0].replace(",", ""))


def test_finance_exports_the_months_payout_report_and_it_matches_the_pages(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    tmp_path, vendor_a, vendor_b, owner_a, buyer, finance_user,
):
    from openpyxl import load_workbook

    from payouts.models import Transfer

    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=3990, stock=9, name="Copper Kettle"))
    tray = publish_listing(vendor_b, sellable_variant(vendor_b, price=2150, stock=9, name="Oak Tray"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Parcel", base_amount=390)
    login(page, site.platform, buyer.email, PASSWORD)
    buy_in_browser(page, site.platform, [kettle, tray])
    buy_in_browser(page, site.platform, [kettle])
    wait_until(lambda: Transfer.objects.filter(status="transferred").count() == 3,
               message="three transfers sent")

    # --- What the pages say. ---
    login(page, site.platform, finance_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/transfers/")
    assert_accessible(page)
    shown = defaultdict(Decimal)
    for row in page.locator("tbody tr").all():
        cells = row.get_by_role("cell").all_inner_texts()
        shown[cells[1]] += amount(cells[2])
    assert set(shown) == {"Alpha", "Bravo"}
    shot(page, "j6-01-transfers")

    # --- Finance requests the month's payout report as XLSX. ---
    page.goto(f"{site.platform}/ops/finance/exports/")
    assert_accessible(page)
    page.get_by_label("Export", exact=True).select_option("payout_report")
    page.get_by_label("Format").select_option("xlsx")
    assert page.get_by_label("From").input_value().endswith("-01")  # this month by default
    page.get_by_role("button", name="Request export").click()
    page.get_by_text("Export queued").wait_for()
    download_link = page.get_by_role("link", name="Download")
    download_link.wait_for(timeout=60_000)  # the row's progress polls (htmx) until it is done
    assert page.get_by_role("progressbar").first.get_attribute("aria-valuenow") == "100"
    shot(page, "j6-02-export-done")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(r"payout_report-\d+\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    # --- The file's totals match the pages. ---
    sheet = load_workbook(path, read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    col = {name: header.index(name) for name in header}
    in_file = defaultdict(Decimal)
    for row in rows:
        if row[col["type"]] == "transfer":
            in_file[row[col["vendor"]]] += Decimal(str(row[col["net"]]))
    assert len([r for r in rows if r[col["type"]] == "transfer"]) == 3
    assert dict(in_file) == dict(shown)

    # The vendor's money page shows the same net for its orders.
    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.goto(f"{site.vendor(vendor_a)}/dashboard/money/")
    nets = [amount(row.get_by_role("cell").nth(5).inner_text())
            for row in page.get_by_test_id("money-row").all()]
    assert sum(nets) == in_file["Alpha"]
    shot(page, "j6-03-vendor-money")
