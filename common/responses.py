"""Responses shared by the pages of every side."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect


def redirect_after_post(request: HttpRequest, viewname: str, *args: Any) -> HttpResponse:
    """Back to a page after a form post: a plain redirect, or, for a post htmx sent (after an
    `hx-confirm`), an HX-Redirect so the whole page reloads with its messages."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(reverse(viewname, args=args))
    return redirect(viewname, *args)
