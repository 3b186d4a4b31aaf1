"""Browser journeys: Playwright driving Debian's Chromium against a live server of the real stack."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the test thread; Django's ORM calls made by the
# test itself are still synchronous, so the async-safety guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


_SESSION_BROWSER: dict[str, Any] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # Modules outside tests/e2e (tests/isolation) import this fixture: one Playwright per process.
    if "browser" in _SESSION_BROWSER:
        yield _SESSION_BROWSER["browser"]
        return
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait for the page as long as actions do: a loaded CI machine renders slowly.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        _SESSION_BROWSER["browser"] = browser
        yield browser
        _SESSION_BROWSER.clear()
        browser.close()


def _csp_violations(page: Any) -> list[str]:
    """Console reports of anything the Content-Security-Policy refused (an inline script or
    handler, a foreign origin): a journey that triggers one fails."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = _csp_violations(page)
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture
def mobile_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
        has_touch=True, locale="en-US",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = _csp_violations(page)
    yield page
    context.close()
    assert violations == [], violations


@pytest.fixture
def site(live_server: Any, settings: Any) -> Any:
    """URLs on the live server for the platform host and any vendor host."""
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    port = live_server.url.rsplit(":", 1)[1]
    settings.PLATFORM_PORT = port  # links in emails and from tasks carry the live server's port

    class Site:
        platform = f"http://marketplace.localhost:{port}"

        @staticmethod
        def vendor(vendor: Any) -> str:
            return f"http://{vendor.host}:{port}"

    return Site()


@pytest.fixture
def shot() -> Any:
    """`shot(page, "journey-step")` saves a PNG screenshot of the viewport."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path))  # the viewport, not the full page
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":  # committed: keep them small (256 colours)
            from PIL import Image

            with Image.open(path) as image:
                small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(path, optimize=True)
        return path

    return take


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


# --- Shared journey helpers: the Stripe emulator wired to the live server, waiting, a11y. ---

WEBHOOK_SECRET = "whsec_e2e_journeys"


@pytest.fixture
def emulator_for_live_server(live_server: Any) -> Iterator[Any]:
    """The Stripe emulator delivering signed webhooks to the live server; the gateway points at it."""
    from django.test import override_settings

    from stripe_emulator.server import EmulatorServer

    server = EmulatorServer(port=0, webhook_url=f"{live_server.url}/webhooks/stripe/",
                            webhook_secret=WEBHOOK_SECRET).start()
    with override_settings(STRIPE_API_BASE=server.url, STRIPE_SECRET_KEY="",
                           STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET):
        yield server
    server.stop()


@pytest.fixture
def _journey_media(settings: Any, tmp_path: Path) -> None:
    """Uploaded files (public and private) of a journey live in its own temp dir."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def wait_until(condition: Any, timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy (no fixed sleeps)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


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
                                               payouts_enabled=True)
    vendor.stripe_account_id = account.id
    return account.id


def buy_in_browser(page: Any, base_url: str, listings: list[Any], card: str = "4242 4242 4242 4242") -> Any:
    """The logged-in buyer adds each listing to the cart, checks out and pays; returns the Order."""
    import re

    from orders.models import Order

    for listing in listings:
        page.goto(f"{base_url}/p/{listing.pk}/{listing.handle}/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{base_url}/checkout/")
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("Hauptstr. 1")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Country").select_option("DE")
    page.get_by_role("button", name="Pay now").click()
    page.wait_for_url(re.compile(r".*/_emulator/pay/pi_.*"), timeout=30_000)
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    return Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
