"""Journey 2: a vendor creates a product with two variants and an image in the dashboard, imports
50 more from a CSV file, and finds them all in marketplace search within seconds (the outbox relay
and the listing projection run in the real worker)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.journeys import assert_accessible, follow, login
from tests.factories.accounts import PASSWORD
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sweater_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def candles_csv(count: int = 50) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["handle", "name", "status", "description", "sku", "options", "price", "stock"])
    for n in range(1, count + 1):
        writer.writerow([f"nordlicht-candle-{n:02d}", f"Nordlicht Candle {n:02d}", "active",
                         "<p>Hand-poured soy wax.</p>", f"NL-{n:03d}", "scent=pine",
                         f"{9 + n % 7}.50", 20])
    return out.getvalue().encode()


def search_until(page, url: str, total: int) -> None:
    """Reload the search page until the projection shows `total` results (no fixed sleeps)."""

    def shown() -> bool:
        page.goto(url)
        return page.locator("#results-heading").get_attribute("data-total") == str(total)

    wait_until(shown, timeout=30, message=f"{total} results at {url}")


def test_vendor_creates_a_product_imports_fifty_and_buyers_find_them(
    page, site, shot, live_server, task_worker, _journey_media, vendor_a, owner_a,
):
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)

    # --- A product with its first variant. ---
    page.goto(f"{store}/dashboard/products/new/")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Fjord Wool Sweater")
    page.get_by_label("Status").select_option("active")
    page.get_by_label("Description").fill("<p>Warm <b>merino</b> knit.</p>")
    page.get_by_label("Option types").fill("size")
    page.get_by_label("Attributes").fill("material=wool")
    page.get_by_label("SKU").fill("FJORD-S")
    page.get_by_label("Options", exact=True).fill("size=S")
    page.get_by_label("Price", exact=True).fill("89.00")
    page.get_by_label("Weight (g)").fill("600")
    page.get_by_label("Initial stock").fill("10")
    shot(page, "j2-01-product-form")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Product created.").wait_for()
    page.wait_for_url(re.compile(r".*/dashboard/products/\d+/$"))

    # --- A second variant. ---
    page.get_by_text("Add a variant").click()
    variant_form = page.locator("form", has=page.get_by_role("button", name="Add variant"))
    variant_form.get_by_label("SKU").fill("FJORD-M")
    variant_form.get_by_label("Options", exact=True).fill("size=M")
    variant_form.get_by_label("Price", exact=True).fill("94.00")
    variant_form.get_by_label("Initial stock").fill("4")
    variant_form.get_by_role("button", name="Add variant").click()
    page.get_by_text("Variant added.").wait_for()
    expect(page.get_by_role("cell", name="FJORD-M", exact=True)).to_be_visible()

    # --- A third one by mistake: edited, then deleted after the browser's confirmation. ---
    page.get_by_text("Add a variant").click()
    variant_form.get_by_label("SKU").fill("FJORD-XL")
    variant_form.get_by_label("Options", exact=True).fill("size=XL")
    variant_form.get_by_label("Price", exact=True).fill("99.00")
    variant_form.get_by_role("button", name="Add variant").click()
    page.get_by_text("Variant added.").wait_for()
    follow(page, page.get_by_role("link", name="Edit FJORD-XL"))
    assert_accessible(page)
    expect(page.get_by_label("Price", exact=True)).to_have_value("99.00")
    page.get_by_label("Price", exact=True).fill("97.50")
    page.get_by_role("button", name="Save variant").click()
    page.get_by_text("Variant saved.").wait_for()
    expect(page.get_by_role("row", name=re.compile("FJORD-XL"))).to_contain_text("97.50")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete FJORD-XL").click()
    page.get_by_text("Variant FJORD-XL deleted.").wait_for()
    expect(page.get_by_role("cell", name="FJORD-XL", exact=True)).to_have_count(0)

    # --- An image, with a description for screen readers. ---
    page.get_by_label("Image", exact=True).set_input_files(
        {"name": "sweater.jpg", "mimeType": "image/jpeg", "buffer": sweater_photo()}
    )
    page.get_by_label("Description for screen readers").fill("A blue wool sweater, folded")
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Image uploaded").wait_for()
    expect(page.get_by_role("img", name="A blue wool sweater, folded")).to_be_visible()
    assert_accessible(page)
    shot(page, "j2-02-product-variants-image")

    # --- 50 more from a CSV file, with progress. ---
    follow(page, page.get_by_role("link", name="Import CSV"))
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(
        {"name": "candles.csv", "mimeType": "text/csv", "buffer": candles_csv()}
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r".*/dashboard/imports/\d+/$"))
    page.locator('#import-progress [data-status="done"]').wait_for(timeout=60_000)
    expect(page.get_by_text("50 of 50 rows imported, 0 with errors.")).to_be_visible()
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "100"
    shot(page, "j2-03-import-done")

    # --- Buyers find them in marketplace search within seconds. ---
    search_until(page, f"{site.platform}/search/?q=nordlicht", 50)
    # Equally relevant matches come newest first; the first page is full of the imported candles.
    candles = page.get_by_role("link", name=re.compile(r"^Nordlicht Candle \d{2}$"))
    expect(candles.first).to_be_visible()
    assert candles.count() >= 10
    expect(page.get_by_role("link", name="Next page")).to_be_visible()  # 50 results are paginated
    assert_accessible(page)
    shot(page, "j2-04-search-imported")
    search_until(page, f"{site.platform}/search/?q=sweater", 1)
    card = page.locator(".listing-card", has_text="Fjord Wool Sweater")
    assert "from 89.00" in card.inner_text().replace("\xa0", " ") or "89.00" in card.inner_text()
    card.get_by_role("link").click()
    page.get_by_label("Option").select_option(label="M")
    expect(page.get_by_role("heading", name="Fjord Wool Sweater")).to_be_visible()
    shot(page, "j2-05-listing")
