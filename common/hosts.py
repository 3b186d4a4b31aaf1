"""Absolute URLs across hosts (platform ↔ vendor), keeping the scheme and port of the request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _port_suffix(request: HttpRequest | None) -> str:
    if request is not None:
        host = request.get_host()
        if ":" in host:
            return ":" + host.rsplit(":", 1)[1]
        return ""
    return f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""


def _scheme(request: HttpRequest | None) -> str:
    # `scheme` is None only for a WSGI environ without `wsgi.url_scheme` (PEP 3333 requires it).
    scheme = request.scheme if request is not None else None
    return scheme if scheme is not None else settings.PLATFORM_SCHEME


def host_url(host: str, path: str = "", request: HttpRequest | None = None) -> str:
    """`scheme://host[:port]path`; without a request (emails, tasks) from the settings."""
    return f"{_scheme(request)}://{host}{_port_suffix(request)}{path}"


def platform_url(path: str = "/", request: HttpRequest | None = None) -> str:
    return host_url(settings.PLATFORM_DOMAIN, path, request)


def vendor_url(vendor: Any, path: str = "/", request: HttpRequest | None = None) -> str:
    return host_url(vendor.host, path, request)
