"""`/.well-known/security.txt` (RFC 9116) on the platform host and on a vendor host."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _fields(body: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            assert name not in fields, f"{name} twice"
            fields[name] = value
    return fields


@pytest.mark.parametrize("on_vendor_host", [False, True])
def test_security_txt_is_served_on_every_host(client_for, vendor_a, settings, on_vendor_host):
    settings.SECURITY_CONTACT = "security@example.com"
    host = vendor_a.host if on_vendor_host else "marketplace.localhost"

    response = client_for(host).get("/.well-known/security.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = _fields(response.content.decode())
    assert fields["Contact"] == "mailto:security@example.com"
    assert fields["Canonical"] == f"http://{host}/.well-known/security.txt"
    assert fields["Preferred-Languages"] == "en, de, fr"
    # Exactly one Expires, in RFC 3339 form, in the future and less than a year ahead.
    expires = dt.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert timezone.now() < expires < timezone.now() + dt.timedelta(days=365)


def test_an_https_contact_is_kept_as_it_is(platform_client, settings):
    settings.SECURITY_CONTACT = "https://example.com/report"
    body = platform_client.get("/.well-known/security.txt").content.decode()
    assert "Contact: https://example.com/report\n" in body
