"""Production settings: secrets and services required from the environment, HTTPS everywhere."""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before base reads them: production never falls back to the embedded development servers
# (devservices), and a missing URL must say which variable to set rather than fail on connect.
_missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        f"{' and '.join(_missing)} must be set in production; the embedded PostgreSQL and Valkey "
        "are for development and tests only (config.settings.local, config.settings.test)"
    )

from common.logging import logging_config  # noqa: E402
from config.settings.base import *  # noqa: E402, F403
from config.settings.base import env  # noqa: E402

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
PLATFORM_SCHEME = "https"
# Behind the AWS load balancer (one proxy): without it every client would share its address in
# the rate limits, and X-Forwarded-For would be ignored.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
# Admins and finance move money: two-factor is not an environment choice in production.
PLATFORM_STAFF_REQUIRE_MFA = True
# Same-origin posts pass Django's CSRF origin check without any trusted origin; a wildcard such as
# https://*.<domain> would let any vendor's host post to the platform's and to other vendors'.
if any("*" in origin for origin in CSRF_TRUSTED_ORIGINS):  # noqa: F405
    raise ImproperlyConfigured("CSRF_TRUSTED_ORIGINS must not hold a wildcard origin: list the exact "
                               "origins that post across hosts (none do by default)")
# Private files (finance exports, onboarding documents, claim evidence) never fall back to the
# media bucket, which the CDN serves publicly: with S3 media, a private bucket is required.
if AWS_STORAGE_BUCKET_NAME and not AWS_PRIVATE_BUCKET_NAME:  # noqa: F405
    raise ImproperlyConfigured("AWS_PRIVATE_BUCKET_NAME must be set when AWS_STORAGE_BUCKET_NAME is: "
                               "private files and finance exports never go to the public media bucket")

LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_config(level=LOG_LEVEL, json_output=LOG_FORMAT == "json")  # noqa: F405
