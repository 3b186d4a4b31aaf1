"""Catalog reads (always in the current vendor's schema)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import nh3
from django.db import connection
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum

from catalog.models import (
    CsvImport,
    Product,
    ProductImage,
    StockAdjustment,
    StockLevel,
    StockLocation,
    Variant,
)


def current_vendor_in_schema() -> Any:
    """The vendor whose schema is active (None in the public schema)."""
    from vendors.models import Vendor

    if getattr(connection, "schema_name", "public") == "public":
        return None
    return Vendor.objects.select_related("store").filter(store__schema_name=getattr(connection, "schema_name", "public")).first()


def products_list(
    *, status: str | None = None, search: str = "", category_id: Any = None, stock: str = ""
) -> QuerySet[Product]:
    queryset = Product.objects.annotate(
        variant_count=Count("variants", distinct=True),
        stock_total=Sum("variants__stock"),
        price_low=Min("variants__price_amount"),
        price_high=Max("variants__price_amount"),
    ).prefetch_related("images").order_by("-created_at", "-id")
    if status in Product.Status.values:
        queryset = queryset.filter(status=status)
    search = (search or "").replace("\x00", "").strip()[:200]
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(handle__icontains=search)
            | Q(pk__in=Variant.objects.filter(sku__icontains=search).values("product_id"))
        )
    if category_id not in (None, ""):
        try:
            queryset = queryset.filter(category_id=int(category_id))
        except (TypeError, ValueError):
            queryset = queryset.none()
    if stock == "out":
        queryset = queryset.filter(stock_total__lte=0)
    elif stock == "in":
        queryset = queryset.filter(stock_total__gt=0)
    return queryset


def product_detail(*, product_id: Any) -> Product:
    from catalog.services import product_get

    product = product_get(product_id=product_id)
    return Product.objects.prefetch_related("variants", "images").get(pk=product.pk)


def products_on_storefront(*, hidden_product_ids: Collection[int] = ()) -> QuerySet[Product]:
    """The vendor's active products, less those the platform has taken down (`hidden_product_ids`,
    read from the public schema by the caller: the storefront reads this schema directly, not the
    projection, so it must be told)."""
    return (
        Product.objects.filter(status=Product.Status.ACTIVE).exclude(pk__in=list(hidden_product_ids))
        .annotate(price_low=Min("variants__price_amount"), stock_total=Sum("variants__stock"))
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch("variants", queryset=Variant.objects.order_by("position", "id")),
        )
    )


def variants_low_stock() -> QuerySet[Variant]:
    from django.db.models import F

    return (
        Variant.objects.filter(stock__lte=F("low_stock_threshold"))
        .exclude(product__status=Product.Status.ARCHIVED)
        .select_related("product")
        .order_by("stock", "sku")
    )


def variants_low_stock_crossings(*, variant_ids: Collection[int] | None = None) -> list[tuple[Variant, int]]:
    """Variants at or below their alert level now, each with the id of the stock change that brought
    it there (0 when none did: created low, or its level raised). The id names one crossing: a
    notice keyed by it is sent once, however often it is looked at."""
    from django.db.models import F, OuterRef, Subquery

    crossing = (StockAdjustment.objects.filter(variant=OuterRef("pk"), delta__lt=0,
                                               stock_after__lte=OuterRef("low_stock_threshold"))
                .annotate(before=F("stock_after") - F("delta")).filter(before__gt=OuterRef("low_stock_threshold"))
                .order_by("-id").values("id")[:1])
    variants = variants_low_stock().annotate(crossing_id=Subquery(crossing))
    if variant_ids is not None:
        variants = variants.filter(pk__in=list(variant_ids))
    return [(variant, variant.crossing_id or 0) for variant in variants]


# Under this many weeks of stock at the forecast rate, a product is low even above its alert levels.
COVER_WEEKS_LOW = 2.0
# Units come back in by these: the cover notice is sent again only after one of them.
_RESTOCK_REASONS = ("received", "correction", "import", "initial")


def demand_per_week(*, vendor_id: int, product_ids: Collection[int]) -> dict[int, float]:
    """The forecast units per week of these products (none: no forecast), from the function named
    by `CATALOG_DEMAND_PER_WEEK` (analytics': catalog cannot import it)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "CATALOG_DEMAND_PER_WEEK", "")
    if not path or not product_ids:
        return {}
    demand = import_string(path)(vendor_id=vendor_id, product_ids=list(product_ids))
    return {int(product_id): float(units) for product_id, units in demand.items()}


def weeks_of_cover(*, vendor_id: int, product_ids: Collection[int]) -> dict[int, float]:
    """Weeks the product's sellable stock (its variants' stock, none below zero) lasts at the
    forecast rate; products without a forecast demand are absent."""
    from django.db.models.functions import Greatest

    demand = {pid: units for pid, units in demand_per_week(vendor_id=vendor_id, product_ids=product_ids).items()
              if units > 0}
    if not demand:
        return {}
    stock = dict(Variant.objects.filter(product_id__in=list(demand)).values("product_id")
                 .annotate(units=Sum(Greatest("stock", 0))).values_list("product_id", "units"))
    return {pid: (stock.get(pid) or 0) / units for pid, units in demand.items()}


def variants_with_cover(variants: Any, *, vendor_id: int) -> list[Variant]:
    """The variants (of the low-stock lists), each with `weeks_of_cover` of its product (None: no forecast)."""
    rows = list(variants)
    cover = weeks_of_cover(vendor_id=vendor_id, product_ids={v.product_id for v in rows})
    for variant in rows:
        variant.weeks_of_cover = cover.get(variant.product_id)
    return rows


def products_low_cover(*, vendor_id: int, product_ids: Collection[int] | None = None
                       ) -> list[tuple[Product, float, int]]:
    """Products with under `COVER_WEEKS_LOW` weeks of cover and no variant at its alert level (that
    one has its own notice), each with its cover and the id of its last restock (0: none): the
    notice keyed by it is sent once per drop under the line, however often it is looked at."""
    from django.db.models import F

    candidates = Product.objects.exclude(status=Product.Status.ARCHIVED)
    if product_ids is not None:
        candidates = candidates.filter(pk__in=list(product_ids))
    at_alert_level = Variant.objects.filter(stock__lte=F("low_stock_threshold")).values("product_id")
    ids = list(candidates.exclude(pk__in=at_alert_level).values_list("pk", flat=True))
    low = {pid: weeks for pid, weeks in weeks_of_cover(vendor_id=vendor_id, product_ids=ids).items()
           if weeks < COVER_WEEKS_LOW}
    if not low:
        return []
    restocks = dict(StockAdjustment.objects.filter(variant__product_id__in=list(low), delta__gt=0,
                                                   reason__in=_RESTOCK_REASONS)
                    .values("variant__product_id").annotate(last=Max("id"))
                    .values_list("variant__product_id", "last"))
    return [(product, low[product.pk], restocks.get(product.pk, 0))
            for product in Product.objects.filter(pk__in=list(low)).order_by("pk")]


def stock_locations() -> QuerySet[StockLocation]:
    """The vendor's locations, default first, then by priority, with their units on hand."""
    from django.db.models.functions import Coalesce

    # A location without stock levels has 0 units, not null (the API field is an integer).
    return StockLocation.objects.annotate(units=Coalesce(Sum("levels__quantity"), 0)).order_by(
        "-is_default", "priority", "id")


def stock_levels(*, location: StockLocation) -> QuerySet[Variant]:
    """Every variant with its units at `location` (`here`, 0 when it has none there)."""
    from django.db.models import IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    here = StockLevel.objects.filter(variant=OuterRef("pk"), location=location).values("quantity")[:1]
    return (Variant.objects.select_related("product")
            .exclude(product__status=Product.Status.ARCHIVED)
            .annotate(here=Coalesce(Subquery(here), Value(0), output_field=IntegerField()))
            .order_by("product__name", "position", "id"))


def variant_levels(*, variant: Variant) -> list[tuple[StockLocation, int]]:
    """Each location with the variant's units there, default first."""
    levels = dict(StockLevel.objects.filter(variant=variant).values_list("location_id", "quantity"))
    return [(location, levels.get(location.pk, 0)) for location in
            StockLocation.objects.order_by("-is_default", "priority", "id")]


def stock_location_get(*, location_id: Any) -> StockLocation:
    from django.utils.translation import gettext as _

    from common.exceptions import NotFound

    try:
        return StockLocation.objects.get(pk=int(location_id))
    except (StockLocation.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such location."), code="location_not_found") from None


def stock_history(*, variant: Variant) -> QuerySet[StockAdjustment]:
    return StockAdjustment.objects.filter(variant=variant).order_by("-created_at", "-id")


def storefront_branding() -> Any:
    """The vendor's storefront settings (owned by the `storefront` app), never created on read."""
    from storefront.models import StorefrontSettings

    return StorefrontSettings.objects.filter(singleton=1).first()


def csv_imports_recent() -> QuerySet[CsvImport]:
    return CsvImport.objects.order_by("-created_at", "-id")


def _absolute(url: str, vendor: Any) -> str:
    """Media of a vendor is served on its own host; the marketplace links there."""
    if not url or not url.startswith("/") or vendor is None:
        return url
    from common.hosts import vendor_url

    return vendor_url(vendor, url)


def image_srcsets(image: ProductImage, vendor: Any = None) -> dict[str, str]:
    """`srcset` values of an image's renditions, per format ({"srcset": webp, "srcset_avif": ...})."""
    by_format: dict[str, list[str]] = {}
    for rendition in sorted(image.renditions or [], key=lambda r: int(r["width"])):
        url = _absolute(image.image.storage.url(rendition["name"]), vendor)
        by_format.setdefault(str(rendition["format"]), []).append(f"{url} {int(rendition['width'])}w")
    found = {}
    if by_format.get("webp"):
        found["srcset"] = ", ".join(by_format["webp"])
    if by_format.get("avif"):
        found["srcset_avif"] = ", ".join(by_format["avif"])
    return found


def product_snapshot(product: Product) -> dict[str, Any]:
    """What the marketplace needs of a product; the payload of its outbox event."""
    variants = sorted(product.variants.all(), key=lambda v: (v.position, v.pk))
    images = sorted(product.images.all(), key=lambda i: (i.position, i.pk))
    prices = [v.price_amount for v in variants]
    compare = [v.compare_at_amount for v in variants if v.compare_at_amount]
    # Units on hand: a variant sold beyond stock (below zero) counts none, not minus.
    stock_total = sum(max(0, v.stock) for v in variants)
    first_image = images[0] if images else None
    vendor = current_vendor_in_schema() if images else None
    return {
        "product_id": product.pk,
        "version": product.version,
        "status": product.status,
        "title": product.name,
        "handle": product.handle,
        "description_html": product.description,
        "description_text": nh3.clean(product.description or "", tags=set()).strip(),
        # {language: {title, description_html, description_text}}: the vendor's translations.
        "translations": {
            t.language: {"title": t.name, "description_html": t.description,
                         "description_text": nh3.clean(t.description or "", tags=set()).strip()}
            for t in product.translations.all()
        },
        "category_id": product.category_id,
        "option_types": product.option_types,
        "attributes": product.attributes,
        "currency": variants[0].currency if variants else "",
        "price_min": min(prices) if prices else 0,
        "price_max": max(prices) if prices else 0,
        "compare_at_amount": max(compare) if compare else None,
        "stock_total": stock_total,
        "in_stock": stock_total > 0,
        "variants": [
            {
                "id": v.pk, "sku": v.sku, "options": v.options, "price_amount": v.price_amount,
                "compare_at_amount": v.compare_at_amount, "currency": v.currency, "stock": v.stock,
                "weight_grams": v.weight_grams, "sellable": max(0, v.sellable),
                "inventory_policy": v.inventory_policy,
                "available_on": v.available_on.isoformat() if v.available_on else None,
            }
            for v in variants
        ],
        "image_url": _absolute(first_image.image.url, vendor) if first_image else "",
        "thumbnail_url": _absolute(first_image.thumbnail.url, vendor)
        if first_image and first_image.thumbnail else "",
        "images": [
            {"url": _absolute(image.image.url, vendor),
             "thumbnail_url": _absolute(image.thumbnail.url, vendor) if image.thumbnail else "", "alt": image.alt,
             **image_srcsets(image, vendor)}
            for image in images
        ],
        "created_at": product.created_at.isoformat(),
    }
