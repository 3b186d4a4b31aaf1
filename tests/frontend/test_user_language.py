"""A person's language is remembered on their account (switcher, sign-up) and used for their pages
on hosts where they have not chosen one, and for every email sent to them."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import User
from common.mail import recipients_by_language, send_mail_localized
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def test_the_switcher_remembers_the_choice_on_the_account(client_for: Any) -> None:
    user = UserFactory(email="lena@example.com")
    client = client_for(HOST, user)
    assert client.post("/i18n/setlang/", {"language": "de", "next": "/"}).status_code == 302
    user.refresh_from_db()
    assert user.language == "de"
    # An unknown language is refused by Django's view and not stored.
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "de"


def test_anonymous_switching_stores_nothing(platform_client: Any) -> None:
    assert platform_client.post("/i18n/setlang/", {"language": "fr", "next": "/"}).status_code == 302
    assert not User.objects.exclude(language="").exists()


def test_a_host_without_a_cookie_uses_the_account_language(client_for: Any, vendor_a: Any, owner_a: Any) -> None:
    User.objects.filter(pk=owner_a.pk).update(language="fr")
    owner_a.refresh_from_db()
    # The vendor dashboard is another host: the switcher's cookie from the marketplace is not sent.
    dashboard = client_for(vendor_a, owner_a)
    html = dashboard.get("/dashboard/").content.decode()
    assert '<html lang="fr"' in html
    # A cookie set on this host wins over the account for this host.
    dashboard.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert '<html lang="de"' in dashboard.get("/dashboard/").content.decode()
    # Anonymous visitors still get Accept-Language.
    anonymous = client_for(HOST)
    assert '<html lang="de"' in anonymous.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_signing_up_in_a_language_makes_it_the_account_language(client_for: Any) -> None:
    client = client_for(HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post("/accounts/signup/", {
        "email": "new@example.com", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"})
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").language == "fr"


def test_mail_goes_out_once_per_language(db: Any) -> None:
    UserFactory(email="de@example.com", language="de")
    UserFactory(email="fr@example.com", language="fr")
    UserFactory(email="en@example.com")
    groups = recipients_by_language(["DE@example.com", "fr@example.com", "en@example.com", "guest@example.com", ""])
    assert groups == {"de": ["de@example.com"], "en": ["en@example.com", "guest@example.com"],
                      "fr": ["fr@example.com"]}
    from django.utils.translation import gettext

    sent = send_mail_localized(["de@example.com", "fr@example.com", "en@example.com"],
                               lambda: (gettext("Your cart"), gettext("Checkout")))
    assert sent == 3
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["en@example.com"] == "Your cart"
    assert subjects["de@example.com"] != "Your cart" and subjects["fr@example.com"] != "Your cart"
    assert subjects["de@example.com"] != subjects["fr@example.com"]
