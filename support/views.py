"""Ops pages of dead letters: the list, one letter, and its Retry and Discard buttons."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from support import selectors, services
from support.errors import DeadLetterNotFound
from support.models import DeadLetter

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


@ops_required(roles.is_platform_admin)
def ops_dead_letter_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", DeadLetter.Status.OPEN)
    if status not in (*DeadLetter.Status.values, "all"):
        status = DeadLetter.Status.OPEN
    letters = selectors.dead_letter_list(status=None if status == "all" else status)
    page = Paginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/ops/dead_letter_list.html", {
        "page": page, "status": status, "statuses": DeadLetter.Status,
        "counts": selectors.dead_letter_status_counts(),
    })


def _letter_or_404(dead_letter_id: int) -> DeadLetter:
    try:
        return selectors.dead_letter_get(dead_letter_id=dead_letter_id)
    except DeadLetterNotFound as exc:
        raise Http404 from exc


@ops_required(roles.is_platform_admin)
def ops_dead_letter_detail(request: HttpRequest, dead_letter_id: int) -> HttpResponse:
    letter = _letter_or_404(dead_letter_id)
    return render(request, "support/ops/dead_letter_detail.html", {
        "letter": letter,
        "arguments": json.dumps({"args": letter.args, "kwargs": letter.kwargs}, indent=2, sort_keys=True),
    })


@require_POST
@ops_required(roles.is_platform_admin)
def ops_dead_letter_retry(request: HttpRequest, dead_letter_id: int) -> HttpResponse:
    letter = _letter_or_404(dead_letter_id)
    try:
        letter = services.dead_letter_retry(dead_letter_id=letter.pk, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        logger.info("dead letter %s (%s) retried by %s", letter.pk, letter.task_name, request.user)
        messages.success(request, _("%(task)s sent again.") % {"task": letter.task_name})
    return redirect("ops-dead-letter-detail", dead_letter_id=letter.pk)


@require_POST
@ops_required(roles.is_platform_admin)
def ops_dead_letter_discard(request: HttpRequest, dead_letter_id: int) -> HttpResponse:
    letter = _letter_or_404(dead_letter_id)
    try:
        letter = services.dead_letter_discard(dead_letter_id=letter.pk, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        logger.info("dead letter %s (%s) discarded by %s", letter.pk, letter.task_name, request.user)
        messages.success(request, _("%(task)s discarded.") % {"task": letter.task_name})
    return redirect("ops-dead-letter-detail", dead_letter_id=letter.pk)
