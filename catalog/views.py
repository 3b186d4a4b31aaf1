"""Vendor host pages: the storefront and the catalog part of the dashboard."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import current_vendor, vendor_member_required
from catalog import csv_io, selectors, services
from catalog.forms import (
    CsvImportForm,
    ImageForm,
    InventoryPolicyForm,
    LocatedStockAdjustmentForm,
    ProductForm,
    ProductTranslationForm,
    StockLocationForm,
    StockMoveForm,
    VariantEditForm,
    VariantForm,
)
from catalog.models import CsvImport, Product, ProductImage, Variant
from common.exceptions import ApplicationError, NotFound
from common.money import to_major
from common.responses import redirect_after_post
from marketplace.seo import store_json_ld


def _apply_error(form: Any, exc: ApplicationError, mapping: dict[str, str] | None = None) -> None:
    """Show a service error on the form field it concerns (or on top of the form)."""
    mapping = mapping or {}
    for name in exc.fields or {}:
        field = mapping.get(name, name)
        if field in form.fields:
            form.add_error(field, exc.message)
            return
    form.add_error(None, exc.message)


def _product_or_404(product_id: int) -> Product:
    try:
        return selectors.product_detail(product_id=product_id)
    except NotFound as exc:
        raise Http404 from exc


def _variant_or_404(product_id: int, variant_id: int) -> Variant:
    variant = Variant.objects.select_related("product").filter(pk=variant_id, product_id=product_id).first()
    if variant is None:
        raise Http404
    return variant


# --- storefront ------------------------------------------------------------------------------


def storefront_home(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    if vendor is None or vendor.status != vendor.Status.ACTIVE:
        raise Http404
    q = (request.GET.get("q") or "").replace("\x00", "")[:200]
    from marketplace.selectors import taken_down_product_ids

    products = selectors.products_on_storefront(hidden_product_ids=taken_down_product_ids(vendor_id=vendor.pk))
    if q:
        products = products.filter(name__icontains=q)
    page = Paginator(products, 24).get_page(request.GET.get("page"))
    branding = selectors.storefront_branding()
    logo_url = request.build_absolute_uri(branding.logo.url) if branding and branding.logo else ""
    return render(request, "storefront/home.html", {
        "products": page, "page": page, "q": q, "branding": branding, "logo_url": logo_url,
        "cards": _storefront_cards(request, vendor, list(page)),
        "json_ld": store_json_ld(
            name=(branding.name if branding else "") or vendor.name, url=request.build_absolute_uri("/"),
            description=(branding.description if branding else "") or vendor.description, logo=logo_url,
            same_as=[url for _label, url in branding.social_links] if branding else []),
    })


def _storefront_cards(request: HttpRequest, vendor: Any, products: list[Product]) -> list[SimpleNamespace]:
    """The page's products in the listing card's shape, each linking to its marketplace page
    (where it is bought), when the marketplace lists it already."""
    from marketplace.selectors import listed_products

    listed = listed_products(vendor=vendor, product_ids=[product.pk for product in products])
    cards = []
    for product in products:
        image = next(iter(product.images.all()), None)
        prices = [variant.price_amount for variant in product.variants.all()]
        compare = [variant.compare_at_amount for variant in product.variants.all() if variant.compare_at_amount]
        cards.append(SimpleNamespace(
            pk=product.pk, title=product.name, vendor_name="", currency=vendor.currency,
            price_min=min(prices, default=0), price_max=max(prices, default=0),
            compare_at_amount=max(compare, default=None), in_stock=bool(getattr(product, "stock_total", 0)),
            image_url=image.image.url if image else "",
            thumbnail_url=image.thumbnail.url if image and image.thumbnail else "",
            images=[selectors.image_srcsets(image)] if image else [],
            # Bought here, on the vendor's own host (ADR 0091), once the marketplace lists it.
            url=reverse("storefront-product", args=[product.pk, product.handle]) if product.pk in listed else "",
            rating=listed[product.pk].rating if product.pk in listed else 0,
            rating_count=listed[product.pk].rating_count if product.pk in listed else 0,
        ))
    return cards


# --- dashboard -------------------------------------------------------------------------------


@vendor_member_required()
def dashboard_products(request: HttpRequest) -> HttpResponse:
    products = selectors.products_list(
        status=request.GET.get("status"), search=request.GET.get("q", ""),
        category_id=request.GET.get("category"), stock=request.GET.get("stock", ""),
    ).order_by("-created_at", "-id")
    page = Paginator(products, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"products": page, "page": page, "query": query.urlencode(), "statuses": Product.Status.choices}
    template = "dashboard/_products_table.html" if getattr(request, "htmx", False) else "dashboard/products.html"
    return render(request, template, context)


@vendor_member_required()
def dashboard_products_bulk(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("dashboard-products")
    try:
        ids = [int(value) for value in request.POST.getlist("ids")][:500]
    except ValueError:
        ids = []
    action = request.POST.get("action", "")
    if not ids:
        messages.error(request, _("Select at least one product."))
    else:
        try:
            if action == "price":
                try:
                    percent = int(request.POST.get("percent", ""))
                except ValueError:
                    percent = -1000
                changed = services.product_prices_change(product_ids=ids, percent=percent)
            elif action in {"activate", "archive", "draft"}:
                status = {"activate": "active", "archive": "archived", "draft": "draft"}[action]
                changed = services.product_status_set(product_ids=ids, status=status)
            else:
                raise ApplicationError(_("Choose an action."), code="invalid_action")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(count)d products changed.") % {"count": changed})
    return redirect(f"/dashboard/products/?{request.POST.get('query', '')}")


@vendor_member_required()
def dashboard_product_new(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, initial={"status": Product.Status.DRAFT})
    variant_form = VariantForm(request.POST or None, prefix="variant")
    if request.method == "POST" and form.is_valid() and variant_form.is_valid():
        data = form.cleaned_data
        try:
            price = services.price_parse(variant_form.cleaned_data["price"], currency=services.vendor_currency())
            compare = variant_form.cleaned_data["compare_at_price"]
            compare_at = services.price_parse(compare, currency=services.vendor_currency(),
                                              field="compare_at_price") if compare else None
            with transaction.atomic():  # customs data refused: no product either
                product = services.product_create(
                    name=data["name"], handle=data["handle"] or None, description=data["description"],
                    status=data["status"], category_id=data["category_id"], option_types=data["option_types"],
                    attributes=data["attributes"], user=request.user,
                    variants=[{"sku": variant_form.cleaned_data["sku"], "price_amount": price,
                               "compare_at_amount": compare_at,
                               "weight_grams": variant_form.cleaned_data["weight_grams"] or 0,
                               "stock": variant_form.cleaned_data["stock"] or 0,
                               "options": variant_form.cleaned_data["options"]}],
                )
                if data["hs_code"] or data["origin_country"]:
                    services.product_update(product=product, user=request.user, hs_code=data["hs_code"],
                                            origin_country=data["origin_country"])
        except ApplicationError as exc:
            target = variant_form if set(exc.fields) & {"sku", "price", "price_amount", "compare_at_price",
                                                        "compare_at_amount", "options", "currency"} else form
            _apply_error(target, exc, {"price_amount": "price", "compare_at_amount": "compare_at_price"})
        else:
            messages.success(request, _("Product created."))
            return redirect("dashboard-product", product_id=product.pk)
    return render(request, "dashboard/product_form.html", {"form": form, "variant_form": variant_form,
                                                          "product": None})


@vendor_member_required()
def dashboard_product(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    initial = {
        "name": product.name, "handle": product.handle, "status": product.status,
        "category_id": str(product.category_id or ""), "description": product.description,
        "option_types": ", ".join(product.option_types),
        "attributes": "; ".join(f"{k}={v}" for k, v in product.attributes.items()),
        "hs_code": product.hs_code, "origin_country": product.origin_country,
    }
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("name", "description", "status", "category_id", "option_types", "attributes",
                                        "hs_code", "origin_country")
                   if data[k] != getattr(product, k)}
        if data["handle"] and data["handle"] != product.handle:
            changes["handle"] = data["handle"]
        try:
            services.product_update(product=product, user=request.user, **changes)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Product saved."))
            return redirect("dashboard-product", product_id=product.pk)
    return render(request, "dashboard/product_form.html", {
        "form": form, "product": product, "variant_form": VariantForm(prefix="variant"),
        "image_form": ImageForm(), "currency": services.vendor_currency(),
    })


@vendor_member_required()
def dashboard_variant_add(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    form = VariantForm(request.POST or None, prefix="variant")
    if request.method == "POST" and form.is_valid():
        try:
            currency = services.vendor_currency()
            compare = form.cleaned_data["compare_at_price"]
            services.variant_create(
                product=product, user=request.user, sku=form.cleaned_data["sku"],
                price_amount=services.price_parse(form.cleaned_data["price"], currency=currency),
                compare_at_amount=services.price_parse(compare, currency=currency, field="compare_at_price")
                if compare else None,
                weight_grams=form.cleaned_data["weight_grams"] or 0, stock=form.cleaned_data["stock"] or 0,
                options=form.cleaned_data["options"],
            )
        except ApplicationError as exc:
            _apply_error(form, exc, {"price_amount": "price", "compare_at_amount": "compare_at_price"})
        else:
            messages.success(request, _("Variant added."))
            return redirect("dashboard-product", product_id=product.pk)
    return render(request, "dashboard/variant_form.html", {"form": form, "product": product})


@vendor_member_required()
def dashboard_variant_edit(request: HttpRequest, product_id: int, variant_id: int) -> HttpResponse:
    variant = _variant_or_404(product_id, variant_id)
    currency = variant.currency
    initial = {
        "sku": variant.sku, "options": "; ".join(f"{k}={v}" for k, v in variant.options.items()),
        "price": str(to_major(variant.price_amount, currency)),
        "compare_at_price": str(to_major(variant.compare_at_amount, currency)) if variant.compare_at_amount else "",
        "weight_grams": variant.weight_grams,
    }
    form = VariantEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.variant_update(
                variant=variant, sku=data["sku"], options=data["options"],
                price_amount=services.price_parse(data["price"], currency=currency),
                compare_at_amount=services.price_parse(data["compare_at_price"], currency=currency,
                                                       field="compare_at_price") if data["compare_at_price"] else None,
                weight_grams=data["weight_grams"] or 0,
            )
        except ApplicationError as exc:
            _apply_error(form, exc, {"price_amount": "price", "compare_at_amount": "compare_at_price"})
        else:
            messages.success(request, _("Variant saved."))
            return redirect("dashboard-product", product_id=product_id)
    return render(request, "dashboard/variant_form.html", {"form": form, "product": variant.product,
                                                           "variant": variant},
                  status=400 if form.errors else 200)


@vendor_member_required()
@require_POST
def dashboard_variant_delete(request: HttpRequest, product_id: int, variant_id: int) -> HttpResponse:
    variant = _variant_or_404(product_id, variant_id)
    if services.variant_delete(variant=variant):
        messages.warning(request, _("Variant %(sku)s deleted. The product had no variant left, so it is a draft "
                                    "again.") % {"sku": variant.sku})
    else:
        messages.success(request, _("Variant %(sku)s deleted.") % {"sku": variant.sku})
    return redirect_after_post(request, "dashboard-product", product_id)


def _image_or_404(product_id: int, image_id: int) -> ProductImage:
    image = ProductImage.objects.filter(pk=image_id, product_id=product_id).first()
    if image is None:
        raise Http404
    return image


@vendor_member_required()
@require_POST
def dashboard_image_make_main(request: HttpRequest, product_id: int, image_id: int) -> HttpResponse:
    services.product_image_make_main(image=_image_or_404(product_id, image_id))
    messages.success(request, _("Main image changed."))
    return redirect_after_post(request, "dashboard-product", product_id)


@vendor_member_required()
@require_POST
def dashboard_image_delete(request: HttpRequest, product_id: int, image_id: int) -> HttpResponse:
    services.product_image_delete(image=_image_or_404(product_id, image_id))
    messages.success(request, _("Image deleted."))
    return redirect_after_post(request, "dashboard-product", product_id)


@vendor_member_required()
def dashboard_image_add(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product_or_404(product_id)
    form = ImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_image_add(product=product, upload=form.cleaned_data["image"],
                                       alt=form.cleaned_data["alt"])
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Image uploaded; its thumbnail is being made."))
            return redirect("dashboard-product", product_id=product.pk)
    return render(request, "dashboard/image_form.html", {"form": form, "product": product}, status=400 if form.errors else 200)


@vendor_member_required()
def dashboard_stock(request: HttpRequest, product_id: int, variant_id: int) -> HttpResponse:
    """A variant's stock: per location, adjusted, moved, sold beyond stock or not; its history."""
    variant = _variant_or_404(product_id, variant_id)
    action = request.POST.get("action", "adjust") if request.method == "POST" else ""
    forms = {
        "adjust": LocatedStockAdjustmentForm(request.POST if action == "adjust" else None),
        "move": StockMoveForm(request.POST if action == "move" else None, prefix="move"),
        "policy": InventoryPolicyForm(request.POST if action == "policy" else None, prefix="policy", initial={
            "inventory_policy": variant.inventory_policy, "backorder_limit": variant.backorder_limit,
            "available_on": variant.available_on}),
    }
    form = forms.get(action)
    if form is not None and form.is_valid():
        try:
            _stock_action(action, variant, form.cleaned_data, request.user)
        except ApplicationError as exc:
            _apply_error(form, exc, {"delta": "delta", "quantity": "quantity"})
        else:
            messages.success(request, _("Stock updated."))
            return redirect("dashboard-stock", product_id=product_id, variant_id=variant_id)
    history = Paginator(selectors.stock_history(variant=variant).select_related("location"), 50).get_page(
        request.GET.get("page"))
    variant.refresh_from_db()
    return render(request, "dashboard/stock.html", {
        "variant": variant, "form": forms["adjust"], "move_form": forms["move"], "policy_form": forms["policy"],
        "levels": selectors.variant_levels(variant=variant), "history": history})


def _stock_action(action: str, variant: Variant, data: dict[str, Any], user: Any) -> None:
    if action == "adjust":
        services.stock_adjust(variant=variant, user=user, delta=data["delta"], reason=data["reason"],
                              note=data["note"],
                              location=selectors.stock_location_get(location_id=data["location"]) if data["location"] else None)
    elif action == "move":
        services.stock_move(variant=variant, source=selectors.stock_location_get(location_id=data["source"]),
                            target=selectors.stock_location_get(location_id=data["target"]),
                            quantity=data["quantity"], note=data["note"], user=user)
    else:
        services.stock_policy_set(variant=variant, policy=data["inventory_policy"],
                                  backorder_limit=data["backorder_limit"] or 0, available_on=data["available_on"])


@vendor_member_required()
def dashboard_stock_locations(request: HttpRequest) -> HttpResponse:
    """The vendor's warehouses, with a form to add one."""
    form = StockLocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.stock_location_create(**form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Location %(name)s added.") % {"name": location.name})
            return redirect("dashboard-stock-location", location_id=location.pk)
    return render(request, "dashboard/stock_locations.html",
                  {"form": form, "locations": selectors.stock_locations()})


def _location_or_404(location_id: int) -> Any:
    try:
        return selectors.stock_location_get(location_id=location_id)
    except NotFound as exc:
        raise Http404 from exc


@vendor_member_required()
def dashboard_stock_location(request: HttpRequest, location_id: int) -> HttpResponse:
    """One location: the units of every variant there, and its settings."""
    location = _location_or_404(location_id)
    form = StockLocationForm(request.POST or None, initial={
        "name": location.name, "country": location.country, "priority": location.priority,
        "is_default": "yes" if location.is_default else "no"})
    if request.method == "POST" and form.is_valid():
        try:
            services.stock_location_update(location=location, **form.cleaned_data)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Location saved."))
            return redirect("dashboard-stock-location", location_id=location.pk)
    page = Paginator(selectors.stock_levels(location=location), 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/stock_location.html", {"location": location, "form": form, "variants": page})


@vendor_member_required()
@require_POST
def dashboard_stock_location_delete(request: HttpRequest, location_id: int) -> HttpResponse:
    location = _location_or_404(location_id)
    try:
        services.stock_location_delete(location=location)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard-stock-location", location_id=location.pk)
    messages.success(request, _("Location %(name)s deleted.") % {"name": location.name})
    return redirect("dashboard-stock-locations")


@vendor_member_required()
def dashboard_low_stock(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.variants_low_stock(), 50).get_page(request.GET.get("page"))
    vendor = current_vendor(request)
    variants = selectors.variants_with_cover(page, vendor_id=vendor.pk)
    return render(request, "dashboard/low_stock.html", {"variants": variants, "page": page})


@vendor_member_required()
def dashboard_imports(request: HttpRequest) -> HttpResponse:
    form = CsvImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.csv_import_start(upload=form.cleaned_data["file"], user=request.user)
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            return redirect("dashboard-import", import_id=job.pk)
    jobs = Paginator(selectors.csv_imports_recent(), 20).get_page(request.GET.get("page"))
    return render(request, "dashboard/imports.html", {"form": form, "jobs": jobs, "columns": csv_io.COLUMNS})


@vendor_member_required()
def dashboard_import(request: HttpRequest, import_id: int) -> HttpResponse:
    job = CsvImport.objects.filter(pk=import_id).first()
    if job is None:
        raise Http404
    template = "dashboard/_import_progress.html" if getattr(request, "htmx", False) else "dashboard/import.html"
    return render(request, template, {"job": job})


@vendor_member_required()
def dashboard_export(request: HttpRequest) -> HttpResponse:
    response = StreamingHttpResponse(csv_io.csv_export_rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    return response  # type: ignore[return-value]  # streamed; the decorators type plain responses



@vendor_member_required()
def dashboard_product_translations(request: HttpRequest, product_id: int) -> HttpResponse:
    """The product's title and description in the marketplace's other languages (docs/adr/0089)."""
    from django.conf import settings

    product = _product_or_404(product_id)
    own = current_vendor(request).content_language
    languages = [(code, name) for code, name in settings.LANGUAGES if code != own]
    if request.method == "POST" and request.POST.get("action") == "delete":
        services.product_translation_delete(product=product, language=request.POST.get("language", ""),
                                            user=request.user)
        messages.success(request, _("Translation removed."))
        return redirect("dashboard-product-translations", product_id=product.pk)
    form = ProductTranslationForm(request.POST or None, languages=languages)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.product_translation_set(product=product, user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("Translation saved."))
                return redirect("dashboard-product-translations", product_id=product.pk)
        status = 400
    return render(request, "dashboard/product_translations.html", {
        "form": form, "product": product, "translations": list(product.translations.all()),
        "own_language": dict(settings.LANGUAGES).get(own, own),
    }, status=status)
