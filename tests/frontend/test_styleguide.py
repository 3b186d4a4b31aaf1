"""The style guide: served publicly on the marketplace, rendered by the real components, and
every text colour pair of the design system meets WCAG AA."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from frontend.design_tokens import TEXT_PAIRS, colour_tokens, contrast_pairs, contrast_ratio
from frontend.templatetags.ui import status_tone

pytestmark = pytest.mark.django_db

PLATFORM = "marketplace.localhost"


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss


def test_every_text_pair_of_the_stylesheet_passes_aa():
    tokens = colour_tokens()
    assert {"ink", "paper", "brand", "vendor", "ops"} <= set(tokens)
    pairs = contrast_pairs()
    assert len(pairs) == len(TEXT_PAIRS)
    failing = [(p.text.name, p.background.name, p.ratio) for p in pairs if p.ratio < 4.5]
    assert failing == []


def test_styleguide_is_public_and_renders_the_components(client_for):
    response = client_for(PLATFORM).get("/styleguide/")
    assert response.status_code == 200
    html = response.content.decode()
    for component in ("page-header", "listing-card", "status-badge", "empty-state", "table-stack", "formatting"):
        assert f'data-component="{component}"' in html, component
    assert html.count('class="card h-100 listing-card"') == 3
    assert "listing-picture-fallback" in html  # the card without a picture
    assert '<s class="listing-price-was">' in html  # compare-at
    assert "4.8 (27 reviews)" in html  # the rating slot
    rows = re.findall(r'data-pair="([a-z-]+/[a-z-]+)" data-ratio="([\d.]+)"', html)
    assert len(rows) == len(TEXT_PAIRS)
    assert all(float(ratio) >= 4.5 for _pair, ratio in rows)
    assert "1,234.50 EUR" in html


def test_styleguide_is_not_on_vendor_hosts(client_for, vendor_a):
    assert client_for(vendor_a).get("/styleguide/").status_code == 404


def test_status_tones():
    assert status_tone("paid") == "success"
    assert status_tone("open") == "warning"
    assert status_tone("", "chargeback") == "warning"
    assert status_tone("something_new") == "neutral"
    html = Template("{% load ui %}{% status_badge 'payment_failed' 'Payment failed' %}").render(Context())
    assert html == '<span class="status-badge status-danger" data-status="payment_failed">Payment failed</span>'


def test_page_header_renders_actions():
    html = Template('{% load ui %}{% page_header "Orders" "3 to ship" %}<a href="/x">Ship</a>{% endpage_header %}'
                    ).render(Context())
    assert '<h1 class="h3">Orders</h1>' in html and '<p class="page-header-subtitle">3 to ship</p>' in html
    assert '<div class="page-header-actions"><a href="/x">Ship</a></div>' in html
