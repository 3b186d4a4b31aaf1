"""Notification pages (platform host): the list, the bell, preferences, and the unsubscribe link.

The bell is served on vendor hosts too (the dashboard's header polls it on its own host); the
notices themselves live on the platform host. Unsubscribing needs no sign-in: the signed link is
the credential; a GET shows one button, the POST (also what mail clients send for RFC 8058's
one-click `List-Unsubscribe-Post`) turns that kind's emails off.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError, NotFound
from notifications import selectors, services
from notifications.kinds import KINDS
from notifications.models import NotificationPreference

CHANNEL = NotificationPreference.Channel
BELL_POLL_SECONDS = 30


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notifications_mark_all_read(user=request.user)
        return redirect("notification-list")
    page = Paginator(selectors.notifications_for(user=request.user), 25).get_page(request.GET.get("page"))
    rows = [{"n": n, "notice": KINDS[n.kind].render(n.context)} for n in page if n.kind in KINDS]
    return render(request, "notifications/list.html", {"page": page, "rows": rows,
                                                        "unread": selectors.unread_count(user=request.user)})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    return redirect(notification.link or "notification-list")


def notification_bell(request: HttpRequest) -> HttpResponse:
    """The header's bell with the unread count, polled by htmx (nothing for people signed out)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, "notifications/_bell.html", {"unread_notifications": selectors.unread_count(
        user=request.user), "bell_poll_seconds": BELL_POLL_SECONDS})


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        chosen = {tuple(value.split(":", 1)) for value in request.POST.getlist("on") if ":" in value}
        services.preferences_save(user=request.user, chosen=chosen)  # type: ignore[arg-type]
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification-preferences")
    rows = []
    for name, spec in KINDS.items():
        rows.append({
            "kind": name, "label": spec.label, "transactional": spec.transactional, "emails": spec.emails,
            "in_app": services.channel_enabled(user=request.user, kind=name, channel=CHANNEL.IN_APP),
            "email": services.channel_enabled(user=request.user, kind=name, channel=CHANNEL.EMAIL),
        })
    return render(request, "notifications/preferences.html", {"rows": rows})


@csrf_exempt  # the signed token is the credential; mail clients post RFC 8058 one-click without a form
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    context: dict[str, Any] = {"token": token}
    try:
        if request.method == "POST":
            user, spec = services.unsubscribe_apply(token=token)
            context.update(done=True)
        else:
            user, spec = services.unsubscribe_read(token)
    except ApplicationError as exc:
        return render(request, "notifications/unsubscribe.html", {"error": exc.message}, status=400)
    context.update(kind_label=spec.label, email=user.email)
    return render(request, "notifications/unsubscribe.html", context)
