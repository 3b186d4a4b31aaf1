"""Test settings: fast password hashing, in-memory email, the same real services as development."""

import os
from urllib.parse import urlsplit

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Each pytest-xdist worker (and each concurrent test run, by TEST_CHANNEL) gets its own broker and
# cache database on the shared Valkey server, so a Celery consumer never takes another run's tasks.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0")
_slot = int(os.environ.get("TEST_CHANNEL", "0")) * 4 + _worker * 2
_redis_base = urlsplit(REDIS_URL)._replace(path="").geturl()  # noqa: F405
CELERY_BROKER_URL = f"{_redis_base}/{1 + _slot}"
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CACHES["default"]["LOCATION"] = f"{_redis_base}/{2 + _slot}"  # noqa: F405

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
