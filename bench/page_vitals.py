"""Core Web Vitals of a page in Chromium (LCP, CLS, page weight, requests) and the page budgets."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Debian's Chromium as the browser tests and this benchmark launch it (Playwright never downloads one).
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


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Debian's chromium is required for browser tests: apt-get install chromium")


# The budgets of docs/benchmarks.md ("Page budgets"), kept by tests/e2e/test_journey_page_budgets.py
# on a cold load (no cache) of the page as the development server sends it (uncompressed).
# Weight and requests are properties of the page, not of the machine: exceeding them is a change
# to the page. LCP depends on the machine, so it is measured by `make bench` and not asserted.
PAGE_BUDGETS: dict[str, dict[str, float]] = {
    "home": {"bytes": 850_000, "requests": 25, "cls": 0.1, "lcp_ms": 4000},
    "search": {"bytes": 850_000, "requests": 25, "cls": 0.1, "lcp_ms": 4000},
    "product": {"bytes": 850_000, "requests": 20, "cls": 0.1, "lcp_ms": 4000},
}

# A mid-range phone, as Lighthouse's mobile preset: the CPU four times slower, a slow 4G link.
CPU_SLOWDOWN = 4
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_638_400 // 8,
           "uploadThroughput": 750_000 // 8}

# Installed before any page script: the browser's own LCP and layout-shift entries, buffered.
# CLS is the largest session window (shifts less than 1 s apart, 5 s at most), as web-vitals does.
OBSERVER_SCRIPT = """(() => {
  const vitals = window.__vitals = {lcp: 0, cls: 0};
  let window_value = 0, window_start = 0, window_last = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) vitals.lcp = entry.renderTime || entry.loadTime || entry.startTime;
  }).observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      if (window_value && entry.startTime - window_last < 1000 && entry.startTime - window_start < 5000) {
        window_value += entry.value;
      } else {
        window_value = entry.value; window_start = entry.startTime;
      }
      window_last = entry.startTime;
      vitals.cls = Math.max(vitals.cls, window_value);
    }
  }).observe({type: 'layout-shift', buffered: true});
})();"""


@dataclass
class PageVitals:
    url: str
    lcp_ms: float
    cls: float
    bytes: int
    requests: int

    def over_budget(self, budget: dict[str, float], *, with_lcp: bool) -> list[str]:
        """The budget lines this load exceeds, in words (empty when it keeps them all)."""
        over = []
        if self.bytes > budget["bytes"]:
            over.append(f"{self.bytes} bytes > {budget['bytes']:.0f}")
        if self.requests > budget["requests"]:
            over.append(f"{self.requests} requests > {budget['requests']:.0f}")
        if self.cls > budget["cls"]:
            over.append(f"CLS {self.cls:.3f} > {budget['cls']}")
        if with_lcp and self.lcp_ms > budget["lcp_ms"]:
            over.append(f"LCP {self.lcp_ms:.0f} ms > {budget['lcp_ms']:.0f}")
        return over


def measure(browser: Any, url: str, *, viewport: dict[str, int], slow_network: bool) -> PageVitals:
    """Load `url` cold in a fresh context with a throttled CPU (and, if asked, a slow 4G link) and
    read what the browser saw: every response's bytes on the wire, the requests, LCP and CLS."""
    context = browser.new_context(viewport=viewport, locale="en-US")
    try:
        context.add_init_script(script=OBSERVER_SCRIPT)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests: set[str] = set()
        wire: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", lambda event: requests.add(event["requestId"])
               if not event["request"]["url"].startswith("data:") else None)
        cdp.on("Network.loadingFinished", lambda event: wire.__setitem__(
            event["requestId"], int(event["encodedDataLength"])))
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        if slow_network:
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        response = page.goto(url, wait_until="load", timeout=120_000)
        if response is None or response.status != 200:
            raise RuntimeError(f"{url} answered {response.status if response else 'nothing'}")
        # Late fonts, images and scripts count: wait until the network has been quiet for 500 ms.
        page.wait_for_load_state("networkidle", timeout=120_000)
        vitals = page.evaluate("() => window.__vitals")
        return PageVitals(url=url, lcp_ms=round(float(vitals["lcp"]), 1), cls=round(float(vitals["cls"]), 4),
                          bytes=sum(wire.values()), requests=len(requests))
    finally:
        context.close()
