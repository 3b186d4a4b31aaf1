"""Cached anonymous reads: whole pages and API payloads per host and language, keyed by a data
generation, with conditional GET (ETag, Last-Modified, 304). See docs/adr/0065.

A cached entry is found under (generation, host, language, path with query, the request headers
that change the answer); bumping the generation (the listing projection does on every change)
makes every older entry unreachable, so the next request renders afresh. Only requests of visitors
without a session are served from the cache: nothing in them is personal. The one per-visitor
part of a page, its CSRF token, is cached as a placeholder and filled in per response.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.response import SimpleTemplateResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from common.page_events import page_events, page_events_restore

# Stands for the CSRF token in a cached page (token characters only, so it survives escaping).
CSRF_PLACEHOLDER = "CsrfPlaceholderOfACachedPage0000000000000000000000000000000000000"
# Request headers that change what a page or an API answer looks like.
VARY_HEADERS = ("HX-Request", "HX-Boosted", "HX-Target", "Accept")
# Response headers a cached answer keeps (Django's sitemap views mark themselves `noindex`).
KEPT_HEADERS = ("X-Robots-Tag",)
_RENDERING = "_page_cache_rendering"

Generation = Callable[[], int]
# What else a page depends on that the request does not spell out (the buyer's currency, ADR 0096).
Vary = Callable[[HttpRequest], str]


def _timeout() -> int:
    """`PAGE_CACHE_SECONDS`: how long an entry may live (0: no caching; the test settings' default,
    as the suite's rolled-back data would otherwise meet pages cached by an earlier test)."""
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 300))


def cacheable(request: HttpRequest) -> bool:
    """A GET/HEAD of a visitor without a session or pending messages: an anonymous page view."""
    return (
        _timeout() > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "Authorization" not in request.headers
    )


def cache_key(request: HttpRequest, generation: int, kind: str, vary: Vary | None = None) -> str:
    parts = [kind, str(generation), request.get_host(), translation.get_language() or "",
             request.get_full_path(), *(request.headers.get(name, "") for name in VARY_HEADERS),
             vary(request) if vary is not None else ""]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"pagecache:{kind}:{digest}"


def csrf_placeholder(request: HttpRequest) -> dict[str, Any]:
    """Context processor: while a page is rendered for the cache, its CSRF token is the placeholder
    (listed after Django's own csrf processor, so it wins)."""
    return {"csrf_token": CSRF_PLACEHOLDER} if getattr(request, _RENDERING, False) else {}


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def _entry_from(response: HttpResponse) -> dict[str, Any] | None:
    """What is kept of a response: only a plain 200 that sets no cookie is shared."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    body = response.content
    return {"body": body, "content_type": response.get("Content-Type", "text/html"), "etag": _etag(body),
            "last_modified": int(time.time()),
            "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}}


def _conditional(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse | None:
    """304 when the visitor's copy is current; a page carrying a CSRF token only to visitors who
    hold the CSRF cookie that token was made for."""
    if CSRF_PLACEHOLDER.encode() in entry["body"] and settings.CSRF_COOKIE_NAME not in request.COOKIES:
        return None
    return get_conditional_response(request, etag=entry["etag"], last_modified=entry["last_modified"])


def _headers(response: HttpResponse, entry: dict[str, Any]) -> HttpResponse:
    for name, value in entry.get("headers", {}).items():
        response[name] = value
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = http_date(entry["last_modified"])
    # Browsers and proxies may keep it, but ask each time (a 304 costs no rendering).
    response["Cache-Control"] = "no-cache"
    patch_vary_headers(response, ("Cookie", "Accept-Language", *VARY_HEADERS[:3]))
    return response


def _served(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
    not_modified = _conditional(request, entry)
    if not_modified is not None:
        return _headers(not_modified, entry)
    body: bytes = entry["body"]
    if CSRF_PLACEHOLDER.encode() in body:
        body = body.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    return _headers(HttpResponse(body, content_type=entry["content_type"]), entry)


def cached_page(*, generation: Generation, vary: Vary | None = None) -> Callable[..., Any]:
    """Decorate a page view: anonymous requests are answered from the cache (see the module);
    `vary(request)` is part of the key (a page in EUR is never served to a visitor shown GBP)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not cacheable(request):
                return view(request, *args, **kwargs)
            key = cache_key(request, generation(), "page", vary)
            entry = cache.get(key)
            if entry is None:
                setattr(request, _RENDERING, True)
                try:
                    response = view(request, *args, **kwargs)
                    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                        response.render()  # a TemplateResponse (the sitemap views'): its content now
                finally:
                    setattr(request, _RENDERING, False)
                session = getattr(request, "session", None)
                entry = None if session is not None and session.modified else _entry_from(response)
                if entry is None:  # a view that started a session made the page the visitor's own
                    return _unfilled(request, response)
                entry["page_events"] = page_events(request)
                cache.set(key, entry, _timeout())
            else:
                page_events_restore(request, entry.get("page_events"))
            return _served(request, entry)

        return wrapped

    return decorate


def _unfilled(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A response rendered for the cache but not kept (a redirect, a 404): fill in its token."""
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    return response


def cached_data(request: HttpRequest, *, generation: Generation, build: Callable[[], Any],
                vary: Vary | None = None) -> tuple[Any, dict[str, Any] | None]:
    """For an API view: (data, validators) from the cache or `build()`; validators (etag,
    last_modified) only for anonymous requests. The caller answers 304 with `not_modified`."""
    if not cacheable(request):
        return build(), None
    key = cache_key(request, generation(), "data", vary)
    entry = cache.get(key)
    if entry is None:
        data = build()
        digest = hashlib.sha256(repr(data).encode()).hexdigest()[:32]
        entry = {"data": data, "etag": f'W/"{digest}"', "last_modified": int(time.time())}
        cache.set(key, entry, _timeout())
    return entry["data"], {"etag": entry["etag"], "last_modified": entry["last_modified"]}


def not_modified(request: HttpRequest, validators: dict[str, Any] | None) -> bool:
    if validators is None:
        return False
    return get_conditional_response(request, etag=validators["etag"],
                                    last_modified=validators["last_modified"]) is not None


def validator_headers(response: Any, validators: dict[str, Any] | None) -> Any:
    if validators is not None:
        response["ETag"] = validators["etag"]
        response["Last-Modified"] = http_date(validators["last_modified"])
        response["Cache-Control"] = "no-cache"
        patch_vary_headers(response, ("Cookie", "Accept-Language", "Accept"))
    return response
