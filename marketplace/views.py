"""Marketplace pages (public schema)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vendors.selectors import vendors_selling


def home(request: HttpRequest) -> HttpResponse:
    port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
    return render(
        request,
        "marketplace/home.html",
        {
            "vendors": vendors_selling().order_by("name")[:24],
            "platform_scheme": settings.PLATFORM_SCHEME,
            "port_suffix": port,
        },
    )
