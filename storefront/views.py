"""The storefront settings page of the vendor dashboard, and the vendor host's public pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.sitemaps import views as sitemap_views
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import current_vendor, vendor_member_required
from accounts.roles import VendorRole
from common import page_cache
from common.exceptions import ApplicationError
from common.hosts import platform_url
from common.page_events import page_event
from marketplace import seo
from marketplace.search import projection_generation
from marketplace.selectors import listing_of_vendor
from storefront import cart_handoff, selectors, services
from storefront.forms import StorefrontSettingsForm
from storefront.sitemaps import storefront_sitemaps
from vendors.forms import apply_error


@vendor_member_required(VendorRole.MANAGER)
def storefront_settings(request: HttpRequest) -> HttpResponse:
    current = services.storefront_settings_get()
    status = 200
    if request.method == "POST":
        form = StorefrontSettingsForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.storefront_settings_update(
                    logo=data.pop("logo"), banner=data.pop("banner"), **data
                )
            except ApplicationError as error:
                apply_error(form, error)
                status = 400
            else:
                messages.success(request, _("Storefront settings saved."))
                return redirect("dashboard-storefront")
        else:
            status = 400
    else:
        form = StorefrontSettingsForm(initial={
            name: getattr(current, name) for name in (*services.TEXT_FIELDS, *services.COLOUR_FIELDS)})
    return render(request, "storefront/settings.html", {"form": form, "current": current},
                  status=status)


# --- the vendor host's public pages: about, sitemaps, robots.txt (ADR 0090) ---------------------


def _selling_vendor(request: HttpRequest) -> Any:
    vendor = current_vendor(request)
    if vendor is None or vendor.status != vendor.Status.ACTIVE:
        raise Http404
    return vendor


def storefront_about(request: HttpRequest) -> HttpResponse:
    """The store's about text, policies, contact and social links."""
    vendor = _selling_vendor(request)
    return render(request, "storefront/about.html", {"branding": selectors.storefront_branding_or_default(),
                                                     "vendor": vendor})


# A vendor host's sitemaps, built once per host (the cache key carries the host, and the vendor's
# schema as every cache key does) and listing-projection generation: a product's change reaches
# its listing, which bumps the generation. The store must still be selling: checked before the cache.
_sitemap_cached = page_cache.cached_page(generation=projection_generation)


def sitemap_index(request: HttpRequest) -> HttpResponse:
    vendor = _selling_vendor(request)
    return _sitemap_cached(lambda request: sitemap_views.index(
        request, storefront_sitemaps(vendor=vendor), sitemap_url_name="sitemap-section"))(request)


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    vendor = _selling_vendor(request)
    return _sitemap_cached(lambda request: sitemap_views.sitemap(
        request, storefront_sitemaps(vendor=vendor), section=section))(request)


ROBOTS_DISALLOW = ["/accounts/", "/api/", "/dashboard/", "/cart/", "/notifications/"]


def robots_txt(request: HttpRequest) -> HttpResponse:
    own = request.build_absolute_uri(reverse("sitemap"))
    response = HttpResponse(seo.robots_txt(disallow=ROBOTS_DISALLOW, sitemaps=[own]),
                            content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- shopping on the vendor's own host (ADR 0091) -----------------------------------------------


def storefront_product(request: HttpRequest, product_id: int, handle: str = "") -> HttpResponse:
    """A product on its vendor's host, from the marketplace listing (the same offer, stock and
    rating); the marketplace page is the canonical one. An old or missing handle redirects (301)."""
    vendor = _selling_vendor(request)
    listing = listing_of_vendor(vendor=vendor, product_id=product_id)
    if listing is None:
        raise Http404
    if handle != listing.handle:
        return redirect("storefront-product", product_id=product_id, handle=listing.handle, permanent=True)
    canonical = platform_url(reverse("listing", args=[listing.pk, listing.handle], urlconf="config.urls_public"),
                             request)
    # A view like one on the marketplace page, with the same ids: the same visitor seeing the
    # product on both hosts within a minute is one view (the analytics dedupe key has no host).
    page_event(request, "view", listing_id=listing.pk, vendor_id=listing.vendor_id, product_id=listing.product_id)
    return render(request, "storefront/product.html", {
        "listing": listing, "branding": selectors.storefront_branding_or_default(), "vendor": vendor,
        "canonical_url": canonical, "json_ld": seo.product_json_ld(listing, url=canonical),
    })


@require_POST
def storefront_cart_add(request: HttpRequest) -> HttpResponse:
    """Checked here (this host's CSRF token), then handed to the platform host's cart."""
    vendor = _selling_vendor(request)
    try:
        variant_id = int(request.POST.get("variant_id", ""))
        quantity = int(request.POST.get("quantity") or 1)
    except ValueError:
        return HttpResponseBadRequest(_("Choose an option and a quantity."))
    if not 1 <= quantity <= 999:
        return HttpResponseBadRequest(_("Choose a quantity from 1 to 999."))
    token = cart_handoff.handoff_token(vendor_id=vendor.pk, variant_id=variant_id, quantity=quantity)
    target = platform_url(reverse("cart-handoff", urlconf="config.urls_public"), request)
    return HttpResponseRedirect(f"{target}?{urlencode({'t': token})}", status=303)
