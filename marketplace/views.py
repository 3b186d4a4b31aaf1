"""Marketplace pages (public schema): home, search, categories, product pages; ops categories."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import ops_required
from common import page_cache
from common.exceptions import ApplicationError, NotFound
from common.hosts import vendor_url
from common.money import SUPPORTED_CURRENCIES, exponent, to_major
from common.page_events import page_event
from marketplace import recommendations, search, selectors, seo, services
from marketplace.forms import CategoryForm
from marketplace.models import Category
from marketplace.presentment import presentment_for, request_currency
from marketplace.search import listings_localize

# Anonymous views of these pages come from the cache of their host, language and buyer currency
# until the listing projection changes (its generation is in the key), with ETag/Last-Modified
# (ADR 0065); prices show in the buyer's currency, so it is part of the key (ADR 0096).
_cached = page_cache.cached_page(generation=search.projection_generation, vary=request_currency)


@_cached
def home(request: HttpRequest) -> HttpResponse:
    from vendors.selectors import vendors_selling

    return render(request, "marketplace/home.html", {
        "vendors": vendors_selling().order_by("name")[:24],
        "categories": selectors.categories_tree(),
        "featured": list(selectors.listings_featured(limit=8)),
    })


def _search_context(request: HttpRequest, *, category: Category | None = None) -> dict[str, Any]:
    data = request.GET.copy()
    if category is not None:
        data["category"] = category.path
    if (data.get("currency") or "").upper() not in SUPPORTED_CURRENCIES:
        # Prices filter and sort in the currency the buyer sees (the header switcher, ADR 0087); an
        # address naming a currency the marketplace does not sell in shows the buyer's own instead.
        data["currency"] = request_currency(request)
    params, errors = search.params_from_query(data)
    # The cards show prices in the currency the results are filtered and sorted in, with the same
    # rates, read once for the page (ADR 0096).
    presentment = presentment_for(request, params.currency)
    page = search.search(replace(params, rates=presentment.rates))
    if params.q and not params.cursor:
        # For the search analytics (what was asked, and whether it found anything).
        page_event(request, "search", term=params.q, zero_results=not page.results)
    base = _link_base(request.GET, on_category_page=category is not None)
    next_url = None
    if page.next_cursor:
        next_qs = base.copy()
        next_qs["cursor"] = page.next_cursor
        next_url = f"?{next_qs.urlencode()}"
    facet_links: dict[str, list[dict[str, Any]]] = {}
    for name, facets in page.facets.items():
        links = []
        for facet in facets:
            qs = base.copy()
            if name == "category" and category is not None:
                # A category page's own path names the category: its facets lead to sub-pages.
                query = qs.urlencode()
                links.append({"facet": facet, "url": reverse("category", args=[facet.value])
                              + (f"?{query}" if query else "")})
                continue
            if name == "category":
                qs["category"] = facet.value
            elif name == "vendor":
                if facet.selected:
                    qs.pop("vendor", None)
                else:
                    qs["vendor"] = facet.value
            elif name == "in_stock":
                if facet.selected:
                    qs.pop("in_stock", None)
                else:
                    qs["in_stock"] = "1"
            elif name == "price":
                low, _sep, high = facet.value.partition("-")
                qs["price_min"] = low
                if high:
                    scale = 10 ** exponent(params.currency)
                    qs["price_max"] = str(to_major(int(high) * scale - 1, params.currency))
                else:
                    qs.pop("price_max", None)
            elif name == "rating":
                if facet.selected:
                    qs.pop("rating_min", None)
                else:
                    qs["rating_min"] = facet.value
            elif name == "attributes":
                values = qs.getlist("attr")
                if facet.value in values:
                    values.remove(facet.value)
                else:
                    values.append(facet.value)
                qs.setlist("attr", values)
            links.append({"facet": facet, "url": f"?{qs.urlencode()}"})
        facet_links[name] = links
    return {
        "page": page, "params": params, "errors": errors, "next_url": next_url, "presentment": presentment,
        "facet_links": facet_links, "sorts": [
            ("relevance", _("Relevance")), ("price_asc", _("Price: low to high")),
            ("price_desc", _("Price: high to low")), ("newest", _("Newest")),
            ("rating", _("Best rated")),
        ],
        "clear_url": "?" + urlencode({"q": params.q}) if params.q else "?",
        "first_url": f"?{base.urlencode()}",
        "category": category,
        "ancestors": selectors.category_ancestors(category) if category else [],
        "is_first_page": not params.cursor,
        # Currencies left out of a price filter (or last in a price sort) for want of a rate today.
        "unconverted": page.unconverted if (params.price_min is not None or params.price_max is not None
                                            or params.sort in {"price_asc", "price_desc"}) else (),
    }


def _link_base(query: QueryDict, *, on_category_page: bool) -> QueryDict:
    """The query every result link starts from: the current filters without the page cursor, one
    value per parameter (the last, as Django reads it) except the repeatable ``attr``."""
    base = QueryDict(mutable=True)
    for key, values in query.lists():
        if key == "cursor" or (key == "category" and on_category_page) or not values:
            continue
        if key == "attr":
            base.setlist(key, values)
        else:
            base[key] = values[-1]
    return base


@_cached
def search_page(request: HttpRequest) -> HttpResponse:
    context = _search_context(request)
    # Filtered to a category: the breadcrumb shows where in the tree the results are.
    filtered = selectors.category_by_path_or_none(path=context["params"].category)
    context["trail"] = [*selectors.category_ancestors(filtered), filtered] if filtered else []
    # htmx swaps the results and, out of band, the heading that names the query.
    template = "marketplace/_search_htmx.html" if getattr(request, "htmx", False) else "marketplace/search.html"
    return render(request, template, context)


@_cached
def category_page(request: HttpRequest, path: str) -> HttpResponse:
    try:
        category = selectors.category_by_path(path=path)
    except NotFound as exc:
        # A renamed or moved category: its old address leads to the new one, for good.
        moved = selectors.category_moved_to(path=path)
        if moved is None:
            raise Http404 from exc
        query = request.META.get("QUERY_STRING", "")
        return redirect(reverse("category", args=[moved.path]) + (f"?{query}" if query else ""), permanent=True)
    context = _search_context(request, category=category)
    template = "marketplace/_search_htmx.html" if getattr(request, "htmx", False) else "marketplace/category.html"
    return render(request, template, context)


def suggest(request: HttpRequest) -> HttpResponse:
    return render(request, "marketplace/_suggest.html", {"suggestions": search.suggest(request.GET.get("q", ""))})


@_cached
def listing_page(request: HttpRequest, listing_id: int, handle: str = "") -> HttpResponse:
    try:
        listing = selectors.listing_visible(listing_id=listing_id)
    except NotFound as exc:
        raise Http404 from exc
    if handle != listing.handle:
        return redirect("listing", listing_id=listing.pk, handle=listing.handle, permanent=True)
    listings_localize([listing])
    canonical = request.build_absolute_uri(reverse("listing", args=[listing.pk, listing.handle]))
    page_event(request, "view", listing_id=listing.pk, vendor_id=listing.vendor_id, product_id=listing.product_id)
    return render(request, "marketplace/listing.html", {
        "listing": listing, "canonical_url": canonical,
        "json_ld": seo.product_json_ld(listing, url=canonical),
        "ancestors": [*selectors.category_ancestors(listing.category), listing.category] if listing.category else [],
        "more": list(selectors.listings_of_vendor(vendor_id=listing.vendor_id, exclude_id=listing.pk)),
        "vendor_url": vendor_url(listing.vendor, "/", request),
        **_listing_recommendations(listing),
    })


def _listing_recommendations(listing: Any) -> dict[str, list[Any]]:
    together = recommendations.bought_together(listing_id=listing.pk, limit=4)
    similar = recommendations.similar_items(listing_id=listing.pk, limit=4, exclude=[x.pk for x in together])
    return {"bought_together": together, "similar": similar}


@require_POST
def listing_viewed(request: HttpRequest, listing_id: int) -> HttpResponse:
    """Note that the visitor viewed the listing (posted by its page once loaded, so a page served
    from the cache counts too) and answer with their other recently viewed listings."""
    try:
        listing = selectors.listing_visible(listing_id=listing_id)
    except NotFound as exc:
        raise Http404 from exc
    earlier = [x for x in recommendations.recent_ids(request) if x != listing.pk]
    response = render(request, "marketplace/_recently_viewed.html", {
        "recent": recommendations.recently_viewed(ids=earlier, limit=4), "heading_level": 2,
    })
    recommendations.recent_note(request, response, listing_id=listing.pk)
    return response


@require_GET
def home_recommendations(request: HttpRequest) -> HttpResponse:
    """The home page's personal rows (lazy-loaded, never cached): recently viewed, and picks that
    follow the buyer's views and purchases."""
    recent = recommendations.recent_ids(request)
    return render(request, "marketplace/_home_recommendations.html", {
        "recent": recommendations.recently_viewed(ids=recent, limit=4),
        "picks": recommendations.buyer_picks(user=request.user, recent_ids=recent, limit=4),
    })


# --- ops: category tree ----------------------------------------------------------------------


@ops_required(roles.is_platform_admin)
def ops_categories(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(
                name=form.cleaned_data["name"], slug=form.cleaned_data["slug"] or "",
                parent=form.cleaned_data["parent"], position=form.cleaned_data["position"] or 0,
            )
        except ApplicationError as exc:
            form.add_error(next(iter(exc.fields), None) if exc.fields else None, exc.message)
        else:
            messages.success(request, _("Category “%(path)s” created.") % {"path": category.path})
            return redirect("ops-categories")
    return render(request, "ops/categories.html", {
        "form": form, "categories": selectors.categories_flat().prefetch_related("children"),
    })


@ops_required(roles.is_platform_admin)
def ops_category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    try:
        category = services.category_get(category_id=category_id)
    except NotFound as exc:
        raise Http404 from exc
    initial = {"name": category.name, "slug": category.slug, "parent": category.parent,
               "position": category.position}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            services.category_delete(category=category)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("ops-category-edit", category_id=category.pk)
        messages.success(request, _("Category deleted."))
        return redirect("ops-categories")
    if request.method == "POST" and form.is_valid():
        try:
            services.category_update(
                category=category, name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"] or category.slug,
                parent=form.cleaned_data["parent"], position=form.cleaned_data["position"] or 0,
            )
        except ApplicationError as exc:
            form.add_error(next(iter(exc.fields), None) if exc.fields else None, exc.message)
        else:
            messages.success(request, _("Category saved."))
            return redirect("ops-categories")
    return render(request, "ops/category_edit.html", {"form": form, "category": category})


# --- search engines: sitemaps and robots.txt (ADR 0090) ----------------------------------------


# Sitemaps list every visible listing: built once per host and projection generation (a listing
# or category change bumps it), as the pages above are.
@_cached
def sitemap_index(request: HttpRequest) -> HttpResponse:
    from marketplace.sitemaps import PLATFORM_SITEMAPS

    return sitemap_views.index(request, PLATFORM_SITEMAPS, sitemap_url_name="sitemap-section")


@_cached
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    from marketplace.sitemaps import PLATFORM_SITEMAPS

    return sitemap_views.sitemap(request, PLATFORM_SITEMAPS, section=section)


ROBOTS_DISALLOW = ["/accounts/", "/api/", "/cart/", "/checkout/", "/orders/", "/ops/", "/search/", "/sell/",
                   "/messages/", "/notifications/", "/claims/", "/reviews/", "/dev/"]


def robots_txt(request: HttpRequest) -> HttpResponse:
    """The platform's sitemap, and every selling vendor's (their product entries name listing
    pages of this host: the protocol accepts them when this host's robots.txt points there)."""
    from vendors.selectors import vendors_selling

    own = request.build_absolute_uri(reverse("sitemap"))
    vendors = [vendor_url(vendor, "/sitemap.xml", request) for vendor in vendors_selling().order_by("slug")]
    response = HttpResponse(seo.robots_txt(disallow=ROBOTS_DISALLOW, sitemaps=[own, *vendors]),
                            content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- following stores (ADR 0091) ------------------------------------------------------------------


@login_required
def store_follow_page(request: HttpRequest, vendor_slug: str) -> HttpResponse:
    """Follow (or stop following) a store: reached from its storefront on its own host, whose
    session is not this host's, so the choice is made here, signed in on the platform."""
    from vendors.models import Vendor

    vendor = Vendor.objects.filter(slug=vendor_slug, status=Vendor.Status.ACTIVE).first()
    if vendor is None:
        raise Http404
    if request.method == "POST":
        if request.POST.get("action") == "unfollow":
            services.store_unfollow(user=request.user, vendor=vendor)
            messages.success(request, _("You no longer follow %(store)s.") % {"store": vendor.name})
        else:
            services.store_follow(user=request.user, vendor=vendor)
            messages.success(request, _("You follow %(store)s.") % {"store": vendor.name})
        return redirect("stores-followed")
    return render(request, "marketplace/store_follow.html", {
        "vendor": vendor, "following": selectors.store_followed(user=request.user, vendor=vendor),
        "store_url": vendor_url(vendor, "/", request),
    })


@login_required
def stores_followed_page(request: HttpRequest) -> HttpResponse:
    follows = [(follow, vendor_url(follow.vendor, "/", request)) for follow in selectors.stores_followed(user=request.user)]
    return render(request, "marketplace/stores_followed.html", {"follows": follows})
