"""A guest buyer (no password) who resets the password from its email becomes a full account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from orders.errors import AccountExists
from orders.services.guest import guest_buyer_for, guest_email_check

pytestmark = pytest.mark.django_db

PLATFORM = "marketplace.localhost"
NEW_PASSWORD = "a-new-Secret-77"


def test_a_guest_who_resets_the_password_is_an_account(client_for: Any) -> None:
    guest = guest_buyer_for(email="walkin@example.com")
    assert guest.is_guest and not guest.has_usable_password()
    page = client_for(PLATFORM)
    # Signing up with the guest's email does not make a second user; the reset link takes over.
    page.post("/accounts/signup/", {"email": guest.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert get_user_model().objects.filter(email=guest.email).count() == 1
    assert page.post("/accounts/password/reset/", {"email": guest.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    form = page.get(link.group(1))
    form_url = form["Location"] if form.status_code == 302 else link.group(1)
    assert page.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    guest.refresh_from_db()
    assert not guest.is_guest and guest.check_password(NEW_PASSWORD)
    # An account now: a guest checkout with this email is refused (sign in instead).
    with pytest.raises(AccountExists):
        guest_email_check(email=guest.email)
