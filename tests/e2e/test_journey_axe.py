"""The journeys' accessibility check itself: axe-core runs in every page loaded on our hosts
without being asked, and again after an htmx swap; pages on other hosts (the Stripe emulator's)
are left alone."""

from __future__ import annotations

import pytest

from tests.e2e.journeys import assert_accessible
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e]

CLEAN = """<!doctype html><html lang="en"><head><title>Clean</title></head>
<body><main><h1>Clean</h1><p>Readable text.</p></main></body></html>"""
# An image without a text alternative (critical) and grey on white (serious: 1.9:1).
BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head>
<body><main><h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#bbb;background:#fff">Faint text</p></main></body></html>"""


def serve(page, *hosts: str) -> None:
    """Answer every request to `hosts` in the browser itself: /broken/ and anything else clean."""
    for host in hosts:
        page.route(f"http://{host}/**", lambda route: route.fulfill(
            status=200, content_type="text/html",
            body=BROKEN if "/broken/" in route.request.url else CLEAN))


def test_every_page_load_is_audited_and_the_findings_name_the_page(browser, settings):
    page = browser.new_context().new_page()
    serve(page, settings.PLATFORM_DOMAIN, f"alpha.{settings.PLATFORM_DOMAIN}")
    page.goto(f"http://{settings.PLATFORM_DOMAIN}/broken/")
    wait_until(lambda: page.evaluate("1") and browser.audit.audited, timeout=30, message="the first audit")
    page.goto(f"http://alpha.{settings.PLATFORM_DOMAIN}/clean/")  # a vendor host, a clean page
    browser.finish(page.context)

    pages = [f"http://{settings.PLATFORM_DOMAIN}/broken/", f"http://alpha.{settings.PLATFORM_DOMAIN}/clean/"]
    assert browser.audit.loaded == pages and browser.audit.audited == pages
    assert browser.audit.unaudited() == []
    [finding] = browser.audit.findings
    assert finding.startswith(f"http://{settings.PLATFORM_DOMAIN}/broken/: ")
    assert "critical image-alt" in finding and "serious color-contrast" in finding
    browser.audit.findings.clear()  # found as it should be: the test itself passes


def test_an_htmx_swap_is_audited_and_an_explicit_check_audits_it_again(browser, settings):
    page = browser.new_context().new_page()
    serve(page, settings.PLATFORM_DOMAIN)
    page.goto(f"http://{settings.PLATFORM_DOMAIN}/clean/")
    assert_accessible(page)
    page.evaluate("""() => {
      document.querySelector('main').insertAdjacentHTML('beforeend',
        '<p style="color:#ccc">Swapped in, too faint</p>');
      document.dispatchEvent(new Event('htmx:afterSettle'));
    }""")
    with pytest.raises(AssertionError, match="serious color-contrast"):
        assert_accessible(page)
    # The swapped-in page is audited without being asked too, once the swap settled.
    wait_until(lambda: page.evaluate("1") and browser.audit.findings, timeout=30, message="the swap's audit")
    browser.finish(page.context)
    [finding] = browser.audit.findings
    assert finding.startswith(f"http://{settings.PLATFORM_DOMAIN}/clean/: axe serious color-contrast")
    browser.audit.findings.clear()


def test_a_reloaded_address_is_audited_once_and_an_explicit_check_still_audits_it(browser, settings):
    page = browser.new_context().new_page()
    serve(page, settings.PLATFORM_DOMAIN)
    url = f"http://{settings.PLATFORM_DOMAIN}/broken/"
    page.goto(url)
    wait_until(lambda: page.evaluate("1") and browser.audit.audited, timeout=30, message="the first audit")
    page.reload()  # as a test waiting for background work reloads a page
    assert page.evaluate("async () => await window.__axeDone") == []  # not audited on load again
    with pytest.raises(AssertionError, match="critical image-alt"):
        assert_accessible(page)
    browser.finish(page.context)
    assert browser.audit.loaded == [url, url] and browser.audit.unaudited() == []
    assert len(browser.audit.findings) == 1  # the first load's
    browser.audit.findings.clear()


def test_pages_on_other_hosts_are_not_audited(browser):
    page = browser.new_context().new_page()
    serve(page, "127.0.0.1:9")
    page.goto("http://127.0.0.1:9/broken/")
    assert page.evaluate("() => typeof window.axe") == "undefined"
    browser.finish(page.context)
    assert browser.audit.loaded == browser.audit.audited == browser.audit.findings == []
