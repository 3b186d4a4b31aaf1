"""Vendor catalog API (`/api/v1/vendor/...` on the vendor's host; staff of that vendor only)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVendorStaff
from catalog import csv_io, selectors, services
from catalog.models import CsvImport, Product, ProductImage, StockAdjustment, StockLocation, Variant
from common.api import Pagination
from common.exceptions import NotFound


class VariantOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["id", "sku", "options", "price_amount", "compare_at_amount", "currency",
                  "weight_grams", "stock", "low_stock_threshold", "position", "inventory_policy",
                  "backorder_limit", "available_on"]


class ImageOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "thumbnail_url", "thumbnail_status", "alt", "width", "height", "position"]

    def get_url(self, obj: ProductImage) -> str:
        return obj.image.url if obj.image else ""

    def get_thumbnail_url(self, obj: ProductImage) -> str:
        return obj.thumbnail.url if obj.thumbnail else ""


class ProductOutputSerializer(serializers.ModelSerializer):
    variants = VariantOutputSerializer(many=True, read_only=True)
    images = ImageOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "name", "handle", "description", "status", "category_id", "option_types",
                  "attributes", "hs_code", "origin_country", "version", "variants", "images", "created_at",
                  "updated_at"]


class VariantInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    price_amount = serializers.IntegerField()
    compare_at_amount = serializers.IntegerField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, allow_blank=True, max_length=8)
    weight_grams = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    stock = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    low_stock_threshold = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    options = serializers.DictField(child=serializers.CharField(max_length=60), required=False)


class VariantUpdateSerializer(VariantInputSerializer):
    sku = serializers.CharField(max_length=64, required=False)
    price_amount = serializers.IntegerField(required=False)
    position = serializers.IntegerField(required=False, min_value=0)
    stock = None  # type: ignore[assignment]  # stock changes only through adjustments
    # Selling beyond stock: set together (the stock module checks them against units owed).
    inventory_policy = serializers.ChoiceField(choices=Variant.InventoryPolicy.choices, required=False)
    backorder_limit = serializers.IntegerField(required=False, min_value=0, max_value=10**6)
    available_on = serializers.DateField(required=False, allow_null=True)


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    handle = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=50_000)
    status = serializers.ChoiceField(choices=Product.Status.choices, default=Product.Status.DRAFT)
    category_id = serializers.IntegerField(required=False, allow_null=True)
    option_types = serializers.ListField(child=serializers.CharField(max_length=30), required=False, max_length=3)
    attributes = serializers.DictField(child=serializers.CharField(max_length=60), required=False)
    variants = VariantInputSerializer(many=True, required=False)
    # Shorthand for a product with one variant.
    sku = serializers.CharField(max_length=64, required=False)
    price_amount = serializers.IntegerField(required=False)
    compare_at_amount = serializers.IntegerField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, allow_blank=True, max_length=8)
    stock = serializers.IntegerField(required=False, min_value=0, max_value=10**9)
    weight_grams = serializers.IntegerField(required=False, min_value=0, max_value=10**9)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        single = {k: attrs.pop(k) for k in ["sku", "price_amount", "compare_at_amount", "currency",
                                            "stock", "weight_grams"] if k in attrs}
        if single:
            if "variants" in attrs:
                raise serializers.ValidationError(_("Give either variants or sku/price_amount, not both."))
            if "sku" not in single or "price_amount" not in single:
                raise serializers.ValidationError({"sku": ["required with price_amount"]})
            attrs["variants"] = [single]
        return attrs


class ProductUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    handle = serializers.SlugField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    category_id = serializers.IntegerField(required=False, allow_null=True)
    option_types = serializers.ListField(child=serializers.CharField(max_length=30), required=False, max_length=3)
    attributes = serializers.DictField(child=serializers.CharField(max_length=60), required=False)
    # Customs data for parcels abroad (docs/adr/0080); checked by the service.
    hs_code = serializers.CharField(max_length=14, required=False, allow_blank=True)
    origin_country = serializers.CharField(max_length=2, required=False, allow_blank=True)


class StockInputSerializer(serializers.Serializer):
    delta = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=StockAdjustment.Reason.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    location_id = serializers.IntegerField(required=False, help_text="Where; the default location when absent.")


class StockOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockAdjustment
        fields = ["id", "delta", "stock_after", "reason", "note", "user_email", "created_at", "location_id"]


class LocationOutputSerializer(serializers.ModelSerializer):
    units = serializers.IntegerField(read_only=True, default=0, help_text="Units on hand there, all variants.")

    class Meta:
        model = StockLocation
        fields = ["id", "name", "country", "is_default", "priority", "units"]


class LocationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, min_length=2)
    priority = serializers.IntegerField(required=False, default=100, min_value=0, max_value=10_000)
    is_default = serializers.BooleanField(required=False, default=False)


class StockMoveSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    from_location_id = serializers.IntegerField()
    to_location_id = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=10**9)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StockBulkRowSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location_id = serializers.IntegerField(required=False, help_text="The default location when absent.")
    set = serializers.IntegerField(required=False, min_value=0, help_text="Units on hand there (give set or adjust).")
    adjust = serializers.IntegerField(required=False, help_text="Units to add (or remove, negative).")
    reason = serializers.ChoiceField(choices=["received", "correction", "damaged", "returned"], required=False)
    note = serializers.CharField(max_length=200, required=False)


class StockBulkInputSerializer(serializers.Serializer):
    rows = StockBulkRowSerializer(many=True)


class StockBulkResultSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    sku = serializers.CharField()
    location_id = serializers.IntegerField()
    quantity = serializers.IntegerField(help_text="Units at the location after the update.")
    stock = serializers.IntegerField(help_text="The variant's sellable stock after the update.")


class BulkInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["activate", "archive", "draft", "price"])
    ids = serializers.ListField(child=serializers.IntegerField(), max_length=500, allow_empty=False)
    percent = serializers.IntegerField(required=False)


class CsvImportOutputSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = CsvImport
        fields = ["id", "status", "original_name", "total_rows", "processed_rows", "imported_rows",
                  "error_rows", "percent", "errors", "failure", "created_at"]


def _product(product_id: int) -> Product:
    return selectors.product_detail(product_id=product_id)


def _variant(product_id: int, variant_id: int) -> Variant:
    variant = Variant.objects.filter(pk=variant_id, product_id=product_id).first()
    if variant is None:
        raise NotFound(_("Variant not found."))
    return variant


class ProductListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=ProductOutputSerializer(many=True), operation_id="vendor_products_list")
    def get(self, request: Request) -> Response:
        queryset = selectors.products_list(
            status=request.query_params.get("status"), search=request.query_params.get("q", ""),
            category_id=request.query_params.get("category_id"),
        ).prefetch_related("variants")
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ProductOutputSerializer(page, many=True).data)

    @extend_schema(request=ProductInputSerializer, responses={201: ProductOutputSerializer},
                   operation_id="vendor_products_create")
    def post(self, request: Request) -> Response:
        serializer = ProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(user=request.user, **serializer.validated_data)
        return Response(ProductOutputSerializer(_product(product.pk)).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=ProductOutputSerializer, operation_id="vendor_products_retrieve")
    def get(self, request: Request, product_id: int) -> Response:
        return Response(ProductOutputSerializer(_product(product_id)).data)

    @extend_schema(request=ProductUpdateSerializer, responses=ProductOutputSerializer,
                   operation_id="vendor_products_partial_update")
    def patch(self, request: Request, product_id: int) -> Response:
        product = _product(product_id)
        serializer = ProductUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.product_update(product=product, user=request.user, **serializer.validated_data)
        return Response(ProductOutputSerializer(_product(product_id)).data)

    @extend_schema(responses={204: None}, operation_id="vendor_products_archive")
    def delete(self, request: Request, product_id: int) -> Response:
        """Archive the product; `?permanent=true` deletes it for good."""
        product = _product(product_id)
        if request.query_params.get("permanent") == "true":
            services.product_delete(product=product)
        elif product.status != Product.Status.ARCHIVED:
            services.product_update(product=product, status=Product.Status.ARCHIVED)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariantListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(request=VariantInputSerializer, responses={201: VariantOutputSerializer},
                   operation_id="vendor_variants_create")
    def post(self, request: Request, product_id: int) -> Response:
        product = _product(product_id)
        serializer = VariantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        variant = services.variant_create(product=product, user=request.user, **serializer.validated_data)
        return Response(VariantOutputSerializer(variant).data, status=status.HTTP_201_CREATED)


class VariantDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(request=VariantUpdateSerializer, responses=VariantOutputSerializer,
                   operation_id="vendor_variants_partial_update")
    def patch(self, request: Request, product_id: int, variant_id: int) -> Response:
        variant = _variant(product_id, variant_id)
        serializer = VariantUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        policy = {name: changes.pop(name) for name in ("inventory_policy", "backorder_limit", "available_on")
                  if name in changes}
        with transaction.atomic():
            variant = services.variant_update(variant=variant, **changes)
            if policy:
                variant = services.stock_policy_set(
                    variant=variant, policy=policy.get("inventory_policy", variant.inventory_policy),
                    backorder_limit=policy.get("backorder_limit", variant.backorder_limit),
                    available_on=policy.get("available_on", variant.available_on))
        return Response(VariantOutputSerializer(variant).data)

    @extend_schema(responses={204: None}, operation_id="vendor_variants_delete")
    def delete(self, request: Request, product_id: int, variant_id: int) -> Response:
        services.variant_delete(variant=_variant(product_id, variant_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StockApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=StockOutputSerializer(many=True), operation_id="vendor_stock_history")
    def get(self, request: Request, product_id: int, variant_id: int) -> Response:
        variant = _variant(product_id, variant_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.stock_history(variant=variant), request, view=self)
        return paginator.get_paginated_response(StockOutputSerializer(page, many=True).data)

    @extend_schema(request=StockInputSerializer, responses={201: StockOutputSerializer},
                   operation_id="vendor_stock_adjust")
    def post(self, request: Request, product_id: int, variant_id: int) -> Response:
        variant = _variant(product_id, variant_id)
        serializer = StockInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        location_id = data.pop("location_id", None)
        location = None if location_id is None else selectors.stock_location_get(location_id=location_id)
        adjustment = services.stock_adjust(variant=variant, user=request.user, location=location, **data)
        return Response(StockOutputSerializer(adjustment).data, status=status.HTTP_201_CREATED)


class LocationListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=LocationOutputSerializer(many=True), operation_id="vendor_stock_locations_list")
    def get(self, request: Request) -> Response:
        # Every list the API answers with is a page (ADR 0043; the schema declares it so).
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.stock_locations(), request, view=self)
        return paginator.get_paginated_response(LocationOutputSerializer(page, many=True).data)

    @extend_schema(request=LocationInputSerializer, responses={201: LocationOutputSerializer},
                   operation_id="vendor_stock_locations_create")
    def post(self, request: Request) -> Response:
        serializer = LocationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = services.stock_location_create(**serializer.validated_data)
        return Response(LocationOutputSerializer(location).data, status=status.HTTP_201_CREATED)


class LocationDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(request=LocationInputSerializer, responses=LocationOutputSerializer,
                   operation_id="vendor_stock_locations_update")
    def put(self, request: Request, location_id: int) -> Response:
        location = selectors.stock_location_get(location_id=location_id)
        serializer = LocationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = services.stock_location_update(location=location, **serializer.validated_data)
        return Response(LocationOutputSerializer(location).data)

    @extend_schema(responses={204: None}, operation_id="vendor_stock_locations_delete")
    def delete(self, request: Request, location_id: int) -> Response:
        services.stock_location_delete(location=selectors.stock_location_get(location_id=location_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StockMoveApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(request=StockMoveSerializer, responses={201: StockOutputSerializer(many=True)},
                   operation_id="vendor_stock_move")
    def post(self, request: Request) -> Response:
        serializer = StockMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        variant = Variant.objects.filter(sku=data["sku"]).first()
        if variant is None:
            raise NotFound(_("Variant not found."))
        moved = services.stock_move(
            variant=variant, source=selectors.stock_location_get(location_id=data["from_location_id"]),
            target=selectors.stock_location_get(location_id=data["to_location_id"]), quantity=data["quantity"],
            note=data["note"], user=request.user)
        return Response(StockOutputSerializer(moved, many=True).data, status=status.HTTP_201_CREATED)


class StockBulkApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(
        request=StockBulkInputSerializer, responses=StockBulkResultSerializer(many=True),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        operation_id="vendor_stock_bulk_update",
        description="Set or adjust the stock of many variants at their locations: every row applies or "
                    "none does; a refusal lists each bad row under `error.fields.rows`. With an "
                    "`Idempotency-Key`, a retry of the same rows returns the first answer.",
    )
    def post(self, request: Request) -> Response:
        rows = request.data.get("rows") if isinstance(request.data, dict) else None
        # Rows are checked by the service, all of them, so that a refusal names every bad row.
        result = services.stock_bulk_update(rows=rows, user=request.user,
                                            idempotency_key=request.headers.get("Idempotency-Key", ""))
        return Response(StockBulkResultSerializer(result, many=True).data)


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField()
    alt = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ImageListApi(APIView):
    permission_classes = [IsVendorStaff]
    parser_classes = [MultiPartParser]

    @extend_schema(request=ImageUploadSerializer, responses={201: ImageOutputSerializer},
                   operation_id="vendor_images_upload")
    def post(self, request: Request, product_id: int) -> Response:
        product = _product(product_id)
        serializer = ImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.product_image_add(product=product, upload=serializer.validated_data["image"],
                                           alt=serializer.validated_data["alt"])
        return Response(ImageOutputSerializer(image).data, status=status.HTTP_201_CREATED)


class BulkApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(request=BulkInputSerializer, responses={200: None}, operation_id="vendor_products_bulk")
    def post(self, request: Request) -> Response:
        serializer = BulkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["action"] == "price":
            changed = services.product_prices_change(product_ids=data["ids"], percent=data.get("percent"))
        else:
            target = {"activate": "active", "archive": "archived", "draft": "draft"}[data["action"]]
            changed = services.product_status_set(product_ids=data["ids"], status=target)
        return Response({"changed": changed})


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ImportListApi(APIView):
    permission_classes = [IsVendorStaff]
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: CsvImportOutputSerializer},
                   operation_id="vendor_imports_create")
    def post(self, request: Request) -> Response:
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.csv_import_start(upload=serializer.validated_data["file"], user=request.user)
        return Response(CsvImportOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=CsvImportOutputSerializer, operation_id="vendor_imports_retrieve")
    def get(self, request: Request, import_id: int) -> Response:
        job = CsvImport.objects.filter(pk=import_id).first()
        if job is None:
            raise NotFound(_("Import not found."))
        return Response(CsvImportOutputSerializer(job).data)


class ExportApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses={(200, "text/csv"): str}, operation_id="vendor_products_export")
    def get(self, request: Request) -> HttpResponseBase:
        response = StreamingHttpResponse(csv_io.csv_export_rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="products.csv"'
        return response
