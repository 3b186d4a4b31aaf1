"""Browser journey helpers: logging in, paying in the browser, the accessibility checks (axe-core)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
# Screenshots go to .local/screenshots; UPDATE_SCREENSHOTS=1 refreshes the committed ones in docs/.
SCREENSHOT_DIR = (
    REPO / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else REPO / ".local" / "screenshots"
)


# The TOTP counters each staff email has signed in with (allauth accepts a code once).
_TOTP_USED: dict[str, set[int]] = {}


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
        # allauth accepts each code once, and one period either side (MFA_TOTP_TOLERANCE): a
        # second sign-in within the same 30 s period types the app's next code, a third waits.
        from allauth.mfa import app_settings as mfa_settings

        from accounts.models import User
        from tests.factories.accounts import totp_code
        from tests.support.waiting import wait_until

        used = _TOTP_USED.setdefault(email, set())
        period = lambda: int(time.time()) // mfa_settings.TOTP_PERIOD  # noqa: E731
        free_step = lambda: next((s for s in (0, 1) if period() + s not in used), None)  # noqa: E731
        if free_step() is None:
            wait_until(lambda: free_step() is not None, timeout=mfa_settings.TOTP_PERIOD + 5,
                       message="the authenticator's next code", interval=0.2)
        step = free_step()
        assert step is not None
        used.add(period() + step)
        page.get_by_label("Code", exact=True).fill(totp_code(User.objects.get(email=email), step=step))
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


def htmx_settled(page: Any) -> None:
    """Wait until no htmx request, swap or settle is under way. htmx wires up swapped-in content
    only when it settles (about 20 ms after the swap, longer on a loaded machine): a control used
    before that (a select in a refreshed fragment) changes without htmx seeing the change."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


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


def assert_accessible(page: Any, *, fresh: bool = False) -> None:
    """Basics on the current page (labelled fields, named buttons/links, alt texts, an h1, lang),
    then axe-core's serious and critical findings on the page as it is now (`fresh`: audit again,
    e.g. after the viewport changed)."""
    # A click that navigates returns once the new document is committed, possibly before its
    # body is parsed (no <html> element yet): check the page once it has loaded.
    page.wait_for_load_state("load")
    problems = page.evaluate(A11Y_SCRIPT)
    if fresh:
        page.evaluate("() => { window.__axeStale = true; }")
    found = page.evaluate(AXE_CURRENT)
    if found:
        problems.append(axe_describe(found))
    assert problems == [], f"{page.url}: " + "; ".join(problems)


# axe-core (npm, a dev dependency: only the tests load it) runs in every page a journey loads.
AXE_SOURCE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# The rules a journey fails on; moderate and minor findings are advice, not a broken page.
AXE_FAILING_IMPACTS = ("serious", "critical")
AXE_BINDING = "__axeReport"
# Evaluated in the page once axe is loaded: `audit()` checks the document as it is now.
_AXE_RUNNER = """
  const impacts = %(impacts)s;
  // A page is judged settled: not while an htmx request is in flight (htmx fades the element that
  // asked, which is not what the reader is left with). Waits at most 5 s.
  const settled = () => new Promise((resolve) => {
    const deadline = Date.now() + 5000;
    const check = () => (document.querySelector('.htmx-request') && Date.now() < deadline
      ? setTimeout(check, 50) : resolve());
    check();
  });
  const run = () => settled().then(() => axe.run(document, {resultTypes: ['violations'], iframes: false})).then(
    (results) => results.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    })),
    (error) => [{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]);
  // axe allows one run at a time: an audit asked for while another runs (a polled htmx swap, such
  // as the notification bell, beside an explicit check) waits for it instead of failing.
  let running = Promise.resolve([]);
  const audit = () => (running = running.then(run, run));
  window.__axeAudit = audit;
  // An address this tab audited already (a page reloaded while waiting for background work) is
  // not audited again on load; an explicit check audits it afresh. The tab's sessionStorage
  // remembers them without a round trip to the test, which would delay the audit.
  const report = (found) => window[%(binding)r] ? window[%(binding)r](location.href, found) : null;
  const key = '__axeAudited';
  const audited = () => JSON.parse(sessionStorage.getItem(key) || '[]');
  report(null);  // loaded: an audit is owed
  window.__axeDone = new Promise((resolve) => {
    if (audited().includes(location.href)) {
      window.__axeStale = true;
      Promise.resolve(report([])).then(() => resolve([]));
      return;
    }
    const start = () => audit().then(async (found) => {
      sessionStorage.setItem(key, JSON.stringify([...audited(), location.href]));
      await report(found);
      resolve(found);
    });
    if (document.readyState === 'complete') start();
    else window.addEventListener('load', start, {once: true});
  });
  // htmx swaps change the page without a load (a confirmation appearing once the payment is
  // confirmed): audit what they show, once per distinct page body; an explicit check audits afresh.
  let swapped = null;
  document.addEventListener('htmx:afterSettle', () => {
    window.__axeStale = true;
    clearTimeout(swapped);
    swapped = setTimeout(() => {
      const seen = location.href + '|' + document.body.innerHTML.length;
      if (audited().includes(seen)) return;
      sessionStorage.setItem(key, JSON.stringify([...audited(), seen]));
      audit().then(report);
    }, 200);
  });
"""
# The finding for the current document: the load-time audit's, or a fresh one after a swap.
AXE_CURRENT = """async () => {
  if (!window.__axeAudit) return [];
  if (window.__axeStale) { window.__axeStale = false; return await window.__axeAudit(); }
  return await window.__axeDone;
}"""


def axe_init_script(domain: str) -> str:
    """axe-core and its runner, for a browser context: only in top-level documents of our own
    hosts (the Stripe emulator's hosted pages stand in for Stripe's, which are not ours to fix)."""
    import json

    source = AXE_SOURCE.read_text(encoding="utf-8")
    runner = _AXE_RUNNER % {"impacts": json.dumps(list(AXE_FAILING_IMPACTS)), "binding": AXE_BINDING}
    host_check = (f"const host = location.hostname; if (host !== {json.dumps(domain)} "
                  f"&& !host.endsWith({json.dumps('.' + domain)})) return;")
    return f"(() => {{ if (window.top !== window) return; {host_check}\n{source}\n{runner}}})();"


def axe_describe(found: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"axe {item['impact']} {item['id']} ({item['help']}) at {', '.join(item['nodes'])}" for item in found)


class AxeAudit:
    """Collects axe-core's serious and critical findings on every page loaded in the contexts it
    is attached to; the browser fixture fails the test with the list."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.loaded: list[str] = []
        self.audited: list[str] = []
        self.findings: list[str] = []

    def attach(self, context: Any) -> None:
        if not AXE_SOURCE.exists():
            raise RuntimeError(f"{AXE_SOURCE} is missing: run `make assets` (npm ci)")
        context.expose_binding(AXE_BINDING, self._report)
        context.add_init_script(script=axe_init_script(self.domain))

    def _report(self, source: Any, url: str, found: list[dict[str, Any]] | None) -> None:
        """A page announces its load (`found` is None) or reports its audit."""
        if found is None:
            self.loaded.append(url)
            return
        self.audited.append(url)
        if found:
            self.findings.append(f"{url}: {axe_describe(found)}")

    def unaudited(self) -> list[str]:
        """Pages left before their audit finished (the test navigated on within a few hundred
        milliseconds): not checked by this run, which says so rather than passing in silence."""
        from collections import Counter

        return sorted((Counter(self.loaded) - Counter(self.audited)).elements())

    def flush(self, context: Any) -> None:
        """Wait for the audits of the documents still open (the last page of a test is checked too)."""
        from playwright.sync_api import Error

        for page in context.pages:
            for attempt in range(3):
                try:
                    page.wait_for_load_state("load")
                    page.evaluate("async () => window.__axeDone ? await window.__axeDone : []")
                    break
                except Error as error:  # the page navigated meanwhile: audit the one it reached
                    if attempt == 2:
                        self.findings.append(f"{page.url}: axe could not finish ({error})")


def photo(seed: int) -> bytes:
    """A 1200×900 JPEG of about 100 kB (shapes on blurred noise): weighs what a product photo does."""
    import io
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    picture = Image.effect_noise((1200, 900), 40).convert("RGB").filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(picture, "RGBA")
    for _ in range(12):
        x, y = rng.randrange(1200), rng.randrange(900)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 160)
        draw.ellipse((x, y, x + rng.randrange(100, 500), y + rng.randrange(100, 400)), fill=colour)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def pictured_listing(vendor: Any, variant: Any, seed: int) -> Any:
    """Give the variant's product a photo and its thumbnail, then publish it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import schema_context

    from catalog.models import Product
    from catalog.services import product_image_add, product_image_thumbnail_generate

    with schema_context(vendor.store.schema_name):
        product = Product.objects.get(pk=variant.product_id)
        upload = SimpleUploadedFile(f"photo-{seed}.jpg", photo(seed), content_type="image/jpeg")
        image = product_image_add(product=product, upload=upload, alt=product.name)
        product_image_thumbnail_generate(image_id=image.pk)
    return publish_listing(vendor, variant)


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

    # The address is enough here ("commit"): the load event also waits for every subresource (Stripe.js
    # from the emulator among them), which a loaded machine can delay past the wait; the button below
    # is what says the page is ready.
    page.wait_for_url(re.compile(r".*/orders/\d+/pay/$"), timeout=30_000, wait_until="commit")
    expect(page.locator("#pay-button")).to_be_enabled(timeout=45_000)  # enabled once the element is ready
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


def switzerland_zone_set_up(page: Any, store: str, *, before_save: Any = None) -> None:
    """On the signed-in vendor's dashboard: a "Switzerland" zone (CH, LI) whose "Post" method is
    priced by weight bands (7.00 up to 1 kg, 12.50 up to 5 kg, 19.00 above), then an "Express"
    method at a flat 24.90 added in place. `before_save(page)` runs on the filled form."""
    from playwright.sync_api import expect

    page.goto(f"{store}/dashboard/")
    page.get_by_role("link", name="Shipping", exact=True).click()
    expect(page.get_by_role("heading", name="Shipping", exact=True)).to_be_visible()
    page.get_by_role("link", name="Add zone").click()
    page.get_by_label("Zone name").fill("Switzerland")
    page.get_by_label("Countries").fill("CH, LI")
    page.get_by_label("Method name").fill("Post")
    page.locator("#id_method-rate_kind").select_option("weight")
    page.get_by_label("Bands").fill("0 1000 7.00\n1000 5000 12.50\n5000 * 19.00")
    page.get_by_label("Transit days, at least").fill("2")
    page.get_by_label("Transit days, at most").fill("4")
    if before_save is not None:
        before_save(page)
    page.get_by_role("button", name="Save zone").click()
    expect(page.get_by_role("heading", name="Switzerland")).to_be_visible()
    add = page.locator("#method-add-form")
    add.get_by_label("Method name").fill("Express")
    add.locator("#id_method-kind").select_option("express")
    add.get_by_label("Flat price").fill("24.90")
    add.get_by_label("Handling days").fill("0")
    add.get_by_label("Transit days, at least").fill("1")
    add.get_by_label("Transit days, at most").fill("1")
    add.get_by_role("button", name="Add method").click()
    expect(page.locator("#zone-methods").get_by_role("cell", name="Express Express")).to_be_visible()


def zurich_checkout_choosing(page: Any, platform: str, listing: Any, *, method_id: int, vendor_id: int) -> None:
    """The signed-in buyer puts the listing in the cart and fills in an address in Zürich; the
    checkout offers the zone's standard rate (1.2 kg: the second band, 12.50) and the buyer
    switches to the shipping method `method_id`, whose delivery estimate shows."""
    from playwright.sync_api import expect

    page.goto(f"{platform}/p/{listing.pk}/{listing.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{platform}/checkout/")
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("Bahnhofstrasse 1")
    page.get_by_label("Postal code").fill("8001")
    page.get_by_label("City").fill("Zürich")
    page.get_by_label("Country").select_option("CH")
    options = page.get_by_label("Shipping option")
    expect(options).to_contain_text("Post — 12.50 EUR")
    htmx_settled(page)  # the refreshed summary's select is wired up
    options.select_option(str(method_id))
    htmx_settled(page)
    expect(page.locator(f"#delivery-estimate-{vendor_id}")).to_contain_text("Estimated delivery:")
