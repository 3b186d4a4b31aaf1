"""Test settings: fast password hashing, in-memory email, the same real services as development."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from devservices import embedded

# Before base reads them: the embedded PostgreSQL and Valkey unless DATABASE_URL / REDIS_URL are set.
embedded.export_urls()

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import env  # noqa: E402

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret")
# The carrier tracking webhook's secret: tests/fulfillment/samples/ are signed with the test one.
TRACKING_WEBHOOK_SECRET = env("TRACKING_WEBHOOK_SECRET", default="test-tracking-webhook-secret")
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
if not 0 <= _slot <= 61:  # the embedded Valkey has 64 databases (0-63); each slot uses two of them
    raise ImproperlyConfigured(
        f"TEST_CHANNEL={os.environ.get('TEST_CHANNEL')} with xdist worker {_worker} needs Valkey "
        f"databases {1 + _slot}-{2 + _slot}; the server has 0-63, so use TEST_CHANNEL 0-14 "
        "(two xdist workers per channel)."
    )
_redis_base = urlsplit(REDIS_URL)._replace(path="").geturl()  # noqa: F405
CELERY_BROKER_URL = f"{_redis_base}/{1 + _slot}"
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CACHES["default"]["LOCATION"] = f"{_redis_base}/{2 + _slot}"  # noqa: F405

# The suite runs on one connection per test (a test's transaction is invisible to a second one),
# so a replica configured in the environment is dropped; its routing is tested in a process of
# its own, which sets TEST_READ_REPLICA (tests/marketplace/test_read_replica.py).
if not env.bool("TEST_READ_REPLICA", default=False):
    DATABASES.pop("replica", None)  # noqa: F405

WHITENOISE_USE_FINDERS = True
# Off: a test's rolled-back data would meet pages an earlier test cached (the cache outlives the
# test database's transactions); tests/marketplace/test_page_cache.py turns it on.
PAGE_CACHE_SECONDS = 0
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# The suite's factories place many orders for one new buyer, from one address, within seconds:
# velocity limits that every such test would trip are lifted here; tests/orders/test_velocity.py
# and tests/orders/test_risk_review.py put the production limits (base.py) back.
ORDERS_VELOCITY_LIMITS = {
    per: dict.fromkeys(("orders", "cards", "failed_payments"), (1000, 10000))
    for per in ("buyer", "new_buyer", "address")
}

# Custom domains' HTTP check reaches the tests' own web server on 127.0.0.1 (ADR 0092).
DOMAIN_VERIFICATION_ALLOW_PRIVATE_ADDRESSES = True
