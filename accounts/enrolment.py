"""First two-factor enrolment of platform staff needs a fresh proof of the account's mailbox."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import roles


def _mailbox_recently_proven(request: HttpRequest) -> bool:
    """A code sent to a verified address of the account was entered within allauth's
    reauthentication window (ACCOUNT_REAUTHENTICATION_TIMEOUT, five minutes)."""
    from allauth.account import app_settings
    from allauth.account.authentication import get_authentication_records

    now = time.time()
    return any(
        record.get("method") == "code" and record.get("reauthenticated")
        and now - record.get("at", 0) < app_settings.REAUTHENTICATION_TIMEOUT
        for record in get_authentication_records(request, request.user)
    )


def totp_activate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """allauth's authenticator set-up, with one more step for staff who must have two-factor
    and have none yet: the password only gets an attacker who holds it this far, so a code
    sent to the account's verified email address must be entered first (ADR 0044)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.views import activate_totp

    user = request.user
    if roles.staff_mfa_missing(user) and not _mailbox_recently_proven(request):
        if not EmailAddress.objects.filter(user_id=user.pk, verified=True).exists():
            messages.warning(request, _("Verify your email address first: setting up two-factor "
                                        "authentication sends a code to it."))
            return redirect("account_email")
        query = urlencode({"next": request.path})
        return redirect(f"{reverse('account_request_reauthentication_code')}?{query}")
    return activate_totp(request, *args, **kwargs)
