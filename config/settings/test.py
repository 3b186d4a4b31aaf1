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

# Each pytest-xdist worker gets its own broker and cache database on the shared Valkey server,
# so a worker's Celery consumer never takes another worker's tasks.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
_redis_base = urlsplit(REDIS_URL)._replace(path="").geturl()  # noqa: F405
CELERY_BROKER_URL = f"{_redis_base}/{1 + 2 * int(_worker)}"
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CACHES["default"]["LOCATION"] = f"{_redis_base}/{2 + 2 * int(_worker)}"  # noqa: F405

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
