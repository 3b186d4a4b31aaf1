"""Marketplace pages (public schema)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vendors.selectors import vendors_selling


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "marketplace/home.html", {"vendors": vendors_selling().order_by("name")[:24]}
    )
