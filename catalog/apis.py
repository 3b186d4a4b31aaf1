"""Vendor catalog API (`/api/v1/vendor/products/` on the vendor's host)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVendorStaff
from catalog import selectors, services
from catalog.models import Product
from common.api import Pagination


class ProductOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "sku", "description", "price_amount", "currency", "stock",
                  "status", "created_at", "updated_at"]


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    price_amount = serializers.IntegerField(min_value=0)
    currency = serializers.CharField(min_length=3, max_length=3)
    stock = serializers.IntegerField(min_value=0, default=0)
    status = serializers.ChoiceField(choices=Product.Status.choices, default=Product.Status.DRAFT)


class ProductListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=ProductOutputSerializer(many=True), operation_id="vendor_products_list")
    def get(self, request: Request) -> Response:
        queryset = selectors.products_list(
            status=request.query_params.get("status"), search=request.query_params.get("q", "")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ProductOutputSerializer(page, many=True).data)

    @extend_schema(request=ProductInputSerializer, responses={201: ProductOutputSerializer},
                   operation_id="vendor_products_create")
    def post(self, request: Request) -> Response:
        serializer = ProductInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(**serializer.validated_data)
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=ProductOutputSerializer, operation_id="vendor_products_retrieve")
    def get(self, request: Request, product_id: int) -> Response:
        product = get_object_or_404(Product, pk=product_id)
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(request=ProductInputSerializer, responses=ProductOutputSerializer,
                   operation_id="vendor_products_partial_update")
    def patch(self, request: Request, product_id: int) -> Response:
        product = get_object_or_404(Product, pk=product_id)
        serializer = ProductInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(serializer.validated_data)
        product = services.product_update(product=product, **changes)
        return Response(ProductOutputSerializer(product).data)

    @extend_schema(responses={204: None}, operation_id="vendor_products_archive")
    def delete(self, request: Request, product_id: int) -> Response:
        product = get_object_or_404(Product, pk=product_id)
        services.product_update(product=product, status=Product.Status.ARCHIVED)
        return Response(status=status.HTTP_204_NO_CONTENT)
