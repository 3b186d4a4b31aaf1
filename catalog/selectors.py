"""Catalog reads (always in the current vendor's schema)."""

from __future__ import annotations

from django.db.models import QuerySet

from catalog.models import Product


def products_list(*, status: str | None = None, search: str = "") -> QuerySet[Product]:
    queryset = Product.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(name__icontains=search)
    return queryset


def products_on_storefront() -> QuerySet[Product]:
    return Product.objects.filter(status=Product.Status.ACTIVE)
