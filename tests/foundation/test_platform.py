"""The platform shell: health, hosts, API error bodies, OpenAPI, token auth, pages per side."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def test_healthz_checks_database_and_broker_on_any_host(client):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_unknown_vendor_host_is_404_not_the_public_site(platform_client, client):
    response = client.get("/", HTTP_HOST="nobody.marketplace.localhost")
    assert response.status_code == 404
    assert b"Everything from independent sellers" not in response.content


def test_foreign_host_gets_no_public_data(platform_client, client):
    response = client.get("/", HTTP_HOST="evil.example.net")
    assert response.status_code in (400, 404)
    assert b"Everything from independent sellers" not in response.content


def test_api_without_credentials_is_401_with_error_body(platform_client):
    response = platform_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_malformed_json_is_400_with_error_body(platform_client):
    response = platform_client.post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_wrong_content_type_is_415(platform_client):
    response = platform_client.post(
        "/api/v1/auth/token/", data="email=a@b.c", content_type="text/plain"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_validation_errors_name_the_fields(platform_client):
    response = platform_client.post(
        "/api/v1/auth/token/", data={"email": "not-an-email"}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"email", "password"}


def test_unknown_api_route_is_json_404(platform_client):
    response = platform_client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_auth_round_trip(platform_client):
    user = UserFactory(email="tok@example.com")
    response = platform_client.post(
        "/api/v1/auth/token/",
        data={"email": "TOK@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = platform_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_wrong_password_is_401(platform_client):
    UserFactory(email="tok2@example.com")
    response = platform_client.post(
        "/api/v1/auth/token/",
        data={"email": "tok2@example.com", "password": "wrong"},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_openapi_schema_and_docs_are_served_without_cdn(platform_client):
    platform_client.force_login(UserFactory(email="schema-reader@example.com"))
    schema = platform_client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = platform_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_marketplace_home_lists_selling_vendors_with_local_assets(platform_client, vendor_a):
    response = platform_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert vendor_a.name in html
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "htmx" in html


def test_ops_console_requires_admin_or_finance(platform_client, admin_user, finance_user, buyer):
    assert platform_client.get("/ops/").status_code == 302
    platform_client.force_login(buyer)
    assert platform_client.get("/ops/").status_code == 403
    platform_client.force_login(finance_user)
    assert platform_client.get("/ops/").status_code == 200
    platform_client.force_login(admin_user)
    assert platform_client.get("/ops/").status_code == 200


def test_email_login_through_allauth(platform_client):
    UserFactory(email="login@example.com")
    response = platform_client.post(
        "/accounts/login/", {"login": "login@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert platform_client.get("/api/v1/me/").json()["email"] == "login@example.com"


def test_production_settings_pass_check_deploy():
    import os
    import secrets
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "marketplace.example.com,.marketplace.example.com",
        "STRIPE_SECRET_KEY": "sk_test_51abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_51abc",
        "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' process only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level",
         "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_a_missing_secret_key():
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "STRIPE_SECRET_KEY": "sk_test_51abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_51abc",
           "STRIPE_WEBHOOK_SECRET": "whsec_abc"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_openapi_schema_describes_the_host_it_is_served_on(platform_client, client_for, vendor_a):
    reader = UserFactory(email="schema-reader@example.com")
    platform_client.force_login(reader)
    public = platform_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    vendor = client_for(vendor_a, reader).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/vendor/products/" in vendor["paths"]
    assert "/api/v1/vendor/products/" not in public["paths"]
    assert "/api/v1/me/" in public["paths"]


@pytest.mark.parametrize("urlconf", ["config.urls_public", "config.urls_tenants"])
def test_openapi_schema_is_valid_without_warnings(urlconf, tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--urlconf", urlconf, "--validate", "--fail-on-warn",
        "--file", str(tmp_path / "schema.yml"),
    )
    assert (tmp_path / "schema.yml").stat().st_size > 1000
