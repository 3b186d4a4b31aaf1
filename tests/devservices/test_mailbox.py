"""The development mailbox: mail sent by the platform is listed at /dev/mail/ with clickable
links; production settings neither route to it nor import it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import clear_url_caches

from tests.foundation.test_production_settings import _production

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The development settings' mailbox (config.settings.local), in a folder of the test."""
    import config.urls_public

    settings.DEV_MAILBOX_DIR = tmp_path / "mailbox"
    settings.EMAIL_BACKEND = "devservices.mailbox.MailboxBackend"
    importlib.reload(config.urls_public)  # its URLs depend on the setting
    clear_url_caches()
    yield settings.DEV_MAILBOX_DIR
    del settings.DEV_MAILBOX_DIR
    importlib.reload(config.urls_public)
    clear_url_caches()


def test_a_password_reset_mail_is_listed_with_its_link_clickable(mailbox, platform_client, buyer):
    response = platform_client.post("/accounts/password/reset/", {"email": buyer.email})
    assert response.status_code == 302
    assert len(list(mailbox.glob("*.eml"))) == 1

    page = platform_client.get("/dev/mail/")
    assert page.status_code == 200
    content = page.content.decode()
    assert buyer.email in content
    mail_id = next(mailbox.glob("*.eml")).stem
    message = platform_client.get(f"/dev/mail/{mail_id}/").content.decode()
    assert '<a href="http://marketplace.localhost' in message  # the reset link, clickable
    assert "/accounts/password/reset/key/" in message


def test_the_html_part_opens_on_its_own_without_scripts(mailbox, platform_client):
    mail = EmailMultiAlternatives("Your order", "Thanks for your order.", "shop@example.com", ["bea@example.com"])
    mail.attach_alternative("<p>Thanks for <b>your order</b>.</p>", "text/html")
    mail.send()
    mail_id = next(mailbox.glob("*.eml")).stem
    listed = platform_client.get("/dev/mail/?to=bea@").content.decode()
    assert "Your order" in listed
    assert "Your order" not in platform_client.get("/dev/mail/?to=somebody-else").content.decode()
    html = platform_client.get(f"/dev/mail/{mail_id}/html/")
    assert html.content.strip() == b"<p>Thanks for <b>your order</b>.</p>"
    assert "default-src 'none'" in html["Content-Security-Policy"]
    assert platform_client.get("/dev/mail/../../etc/").status_code == 404
    assert platform_client.get("/dev/mail/00000000000000000000-0000/").status_code == 404


def test_without_the_development_settings_there_is_no_mailbox(platform_client):
    assert platform_client.get("/dev/mail/").status_code == 404


def test_production_settings_neither_route_to_the_mailbox_nor_import_it(tmp_path):
    probe = ("import sys, django; django.setup(); from django.conf import settings; "
             "from django.urls import resolve, Resolver404\n"
             "try:\n    resolve('/dev/mail/', urlconf='config.urls_public'); print('routed')\n"
             "except Resolver404:\n    print('not routed')\n"
             "print(settings.EMAIL_BACKEND, hasattr(settings, 'DEV_MAILBOX_DIR'), "
             "'devservices.mailbox' in sys.modules)")
    result = _production(tmp_path, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "not routed", "django.core.mail.backends.console.EmailBackend False False"]
