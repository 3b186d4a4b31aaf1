"""The frame every page shares: favicon and titles on each host, the phone search, the link to
the dashboard for a vendor's staff, where signing in lands, the ops menu, European dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD
from vendors.models import Membership

pytestmark = pytest.mark.django_db

PLATFORM = "marketplace.localhost"


@pytest.mark.parametrize("host", ["platform", "vendor"])
def test_favicon_on_every_host(client_for, vendor_a, host):
    client = client_for(PLATFORM if host == "platform" else vendor_a)
    page = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page
    assert 'href="/static/favicon-32.png"' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"] == "/static/favicon.ico"
    served = client.get(icon["Location"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert client.get("/static/favicon.svg").status_code == 200


def test_page_titles_on_every_host(client_for, vendor_a, owner_a, admin_user):
    titles = {
        "marketplace": _title(client_for(PLATFORM).get("/")),
        "storefront": _title(client_for(vendor_a).get("/")),
        "dashboard": _title(client_for(vendor_a, owner_a).get("/dashboard/")),
        "styleguide": _title(client_for(PLATFORM).get("/styleguide/")),
    }
    assert titles == {
        "marketplace": "Marketplace", "storefront": "Alpha · Marketplace",
        "dashboard": "Overview · Alpha", "styleguide": "Style guide · Marketplace",
    }


def test_search_is_outside_the_collapsed_menu(client_for):
    """On a phone the menu collapses behind the toggler; the search form must not be inside it."""
    page = client_for(PLATFORM).get("/").content.decode()
    collapse_start = page.index('id="nav-main"')
    search = page.index('role="search"')
    assert search < collapse_start
    assert 'class="navbar-search' in page


def test_dashboard_link_for_vendor_staff_on_storefront_and_marketplace(client_for, vendor_a, owner_a, vendor_b):
    storefront = client_for(vendor_a, owner_a).get("/").content.decode()
    assert re.search(r'href="http://alpha\.marketplace\.localhost(:\d+)?/dashboard/" data-dashboard-link', storefront)
    marketplace = client_for(PLATFORM, owner_a).get("/").content.decode()
    assert "data-dashboard-link" in marketplace and "alpha.marketplace.localhost" in marketplace
    # Another vendor's storefront: the owner of A is not B's staff, so no dashboard link there.
    assert "data-dashboard-link" not in client_for(vendor_b, owner_a).get("/").content.decode()
    # A buyer has none anywhere.
    buyer = UserFactory()
    assert "data-dashboard-link" not in client_for(PLATFORM, buyer).get("/").content.decode()
    assert "data-dashboard-link" not in client_for(vendor_a, buyer).get("/").content.decode()


def test_signing_in_on_a_vendor_host_lands_staff_on_the_dashboard(client_for, vendor_a, owner_a):
    response = client_for(vendor_a).post("/accounts/login/", {"login": owner_a.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_signing_in_with_next_still_goes_there(client_for, vendor_a, owner_a):
    response = client_for(vendor_a).post("/accounts/login/?next=/dashboard/orders/",
                                         {"login": owner_a.email, "password": PASSWORD})
    assert response["Location"] == "/dashboard/orders/"


def test_a_buyer_signing_in_on_a_vendor_host_stays_on_the_storefront(client_for, vendor_a):
    buyer = UserFactory()
    response = client_for(vendor_a).post("/accounts/login/", {"login": buyer.email, "password": PASSWORD})
    assert response["Location"] == "/"


def test_staff_of_another_vendor_lands_on_the_storefront(client_for, vendor_b, owner_a):
    response = client_for(vendor_b).post("/accounts/login/", {"login": owner_a.email, "password": PASSWORD})
    assert response["Location"] == "/"


def test_ops_menu_expands_from_large_screens(client_for, admin_user):
    """1366 px is above Bootstrap's lg (992 px) and below xxl (1400 px), where it collapsed."""
    from accounts.models import User  # noqa: F401  (the admin fixture's model)

    client = client_for(PLATFORM)
    client.force_login(admin_user)
    page = client.get("/ops/").content.decode()
    nav = re.search(r'<nav class="([^"]*)"[^>]*aria-label="Operations"', page)
    assert nav is not None, page[:500]
    assert "navbar-expand-lg" in nav.group(1).split()


def test_side_character_on_body(client_for, vendor_a, owner_a):
    assert 'class="side-marketplace' in client_for(PLATFORM).get("/").content.decode()
    assert 'class="side-dashboard' in client_for(vendor_a, owner_a).get("/dashboard/").content.decode()


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "7 Dec 2026, 14:05 · 07/12/2026"),
    ("de", "7. Dezember 2026 14:05 · 07.12.2026"),
    ("fr", "7 décembre 2026 14:05 · 07/12/2026"),
])
def test_dates_read_the_european_way_in_every_language(language, expected):
    moment = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
    template = Template('{% load ui %}{{ when|moment }} · {{ when|date:"SHORT_DATE_FORMAT" }}')
    with translation.override(language):
        assert template.render(Context({"when": moment})) == expected


def test_a_vendor_member_membership_row_is_what_counts(client_for, vendor_a):
    """An inactive membership is no longer staff: no dashboard link, no dashboard landing."""
    former = UserFactory()
    Membership.objects.create(user=former, vendor=vendor_a, role="staff", is_active=False)
    assert "data-dashboard-link" not in client_for(vendor_a, former).get("/").content.decode()
    response = client_for(vendor_a).post("/accounts/login/", {"login": former.email, "password": PASSWORD})
    assert response["Location"] == "/"


def _title(response) -> str:
    assert response.status_code == 200
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match is not None
    return " ".join(match.group(1).split())
