"""Browser journey helpers: Chromium's path and flags, logging in, paying in the browser, a11y checks."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
REPO = Path(__file__).resolve().parents[2]
# Screenshots go to .local/screenshots; UPDATE_SCREENSHOTS=1 refreshes the committed ones in docs/.
SCREENSHOT_DIR = (
    REPO / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else REPO / ".local" / "screenshots"
)


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Debian's chromium is required for browser tests: apt-get install chromium")


def login(page: Any, base_url: str, email: str, password: str) -> None:
    from urllib.parse import urlsplit

    # Sessions are per host: forget this host's session so the login form shows (switch users).
    page.context.clear_cookies(domain=urlsplit(base_url).hostname)
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    # The click may return before the form's navigation has even started: wait for the page the
    # server answers with (the next page, or the second step), never for "the current page loaded".
    page.wait_for_url(lambda url: urlsplit(url).path != "/accounts/login/")
    if urlsplit(page.url).path.startswith("/accounts/2fa/authenticate/"):
        # Platform staff have two-factor authentication: type the code their app shows now.
        from accounts.models import User
        from tests.factories.accounts import totp_code

        page.get_by_label("Code", exact=True).fill(totp_code(User.objects.get(email=email)))
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/accounts/2fa/"))
    page.wait_for_load_state("load")



WEBHOOK_SECRET = "whsec_e2e_journeys"


def emulator_control(server: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST to the emulator's control API (`/_emulator/...`)."""
    import json
    import urllib.request

    request = urllib.request.Request(
        server.url + path, data=json.dumps(body or {}).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=40) as response:
        return json.loads(response.read() or b"{}")


def follow(page: Any, link: Any) -> None:
    """Click a link and wait until its page has loaded (a click may return before navigating)."""
    before = page.url
    link.click()
    page.wait_for_url(lambda url: url != before)
    page.wait_for_load_state("load")


A11Y_SCRIPT = """() => {
  const problems = [];
  const named = (el) => {
    const text = (el.textContent || '').trim() || el.getAttribute('aria-label')
      || el.getAttribute('title') || el.getAttribute('value')
      || Array.from(el.querySelectorAll('img[alt]')).map(i => i.alt).join('');
    const by = el.getAttribute('aria-labelledby');
    return Boolean((text && text.trim()) || (by && document.getElementById(by)));
  };
  for (const el of document.querySelectorAll(
      'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea')) {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) continue;
    if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) continue;
    if (el.closest('label')) continue;
    problems.push('unlabelled field: ' + el.outerHTML.slice(0, 160));
  }
  for (const el of document.querySelectorAll('button, [role=button], input[type=submit], a[href]')) {
    if (!named(el)) problems.push('unnamed control: ' + el.outerHTML.slice(0, 160));
  }
  for (const img of document.querySelectorAll('img:not([alt])')) {
    problems.push('image without alt: ' + img.outerHTML.slice(0, 160));
  }
  if (!document.querySelector('h1')) problems.push('no h1 heading');
  if (!document.documentElement.getAttribute('lang')) problems.push('no lang attribute');
  if (!document.title.trim()) problems.push('no title');
  return problems;
}"""


def assert_accessible(page: Any) -> None:
    """Basics on the current page: labelled fields, named buttons/links, alt texts, an h1, lang."""
    # A click that navigates returns once the new document is committed, possibly before its
    # body is parsed (no <html> element yet): check the page once it has loaded.
    page.wait_for_load_state("load")
    problems = page.evaluate(A11Y_SCRIPT)
    assert problems == [], f"{page.url}: " + "; ".join(problems)


def publish_listing(vendor: Any, variant: Any) -> Any:
    """Project a product made in the vendor's schema onto the marketplace (as the outbox relay does)."""
    from django_tenants.utils import schema_context

    from catalog.models import Product
    from catalog.selectors import product_snapshot
    from marketplace.models import Listing
    from marketplace.services import listing_apply

    with schema_context(vendor.store.schema_name):
        product = Product.objects.prefetch_related("variants", "images").get(pk=variant.product_id)
        payload = product_snapshot(product)
    listing_apply(vendor=vendor, product_id=product.pk, version=product.version, payload=payload)
    return Listing.objects.get(vendor=vendor, product_id=product.pk)


def connect_vendor(vendor: Any, emulator: Any) -> str:
    """Give the vendor an emulator Connect account that finished onboarding (journey 1 does this
    through the hosted page; other journeys start from vendors who already did)."""
    from payments import gateway
    from vendors.models import Vendor

    account = gateway.account_create(vendor_id=vendor.pk, country="DE",
                                      email=f"{vendor.slug}@example.com", business_name=vendor.name)
    emulator_control(emulator, f"/_emulator/accounts/{account.id}/complete_onboarding")
    Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account.id, charges_enabled=True,
                                               payouts_enabled=True, stripe_details_submitted=True)
    vendor.stripe_account_id = account.id
    return account.id


# Stripe's Payment Element (here the emulator's stand-in Stripe.js) lives in this frame.
PAYMENT_FRAME = "iframe[title='Secure payment input frame']"


def open_payment_page(page: Any) -> Any:
    """Wait for our payment page and for Stripe's element in it; returns the element's frame."""
    from playwright.sync_api import expect

    page.wait_for_url(re.compile(r".*/orders/\d+/pay/$"), timeout=30_000)
    expect(page.locator("#pay-button")).to_be_enabled(timeout=30_000)  # enabled once the element is ready
    return page.frame_locator(PAYMENT_FRAME)


def fill_card(page: Any, card: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    """Type a card into the Payment Element (choosing "Card" when saved cards are offered)."""
    frame = page.frame_locator(PAYMENT_FRAME)
    choice = frame.get_by_label(re.compile(r"^(New card|Card)$"))
    choice.check()
    frame.get_by_label("Card number").fill(card)
    frame.get_by_label("Expiration date").fill(expiry)
    frame.get_by_label("Security code").fill(cvc)


def address_fill(page: Any, name: str = "Bea Buyer") -> None:
    """Fill the checkout page's shipping address (a German one: the demo vendors ship there)."""
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Address", exact=True).fill("Hauptstr. 1")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Country").select_option("DE")


def buy_in_browser(page: Any, base_url: str, listings: list[Any], card: str = "4242 4242 4242 4242") -> Any:
    """The logged-in buyer adds each listing to the cart, checks out and pays; returns the Order."""
    import re

    from orders.models import Order

    for listing in listings:
        page.goto(f"{base_url}/p/{listing.pk}/{listing.handle}/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{base_url}/checkout/")
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, card)
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    return Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
