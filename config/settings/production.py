"""Production settings: secrets and services required from the environment, HTTPS everywhere."""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Checked before base reads them: production never falls back to the embedded development servers
# (devservices), and a missing URL must say which variable to set rather than fail on connect.
_missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        f"{' and '.join(_missing)} must be set in production; the embedded PostgreSQL and Valkey "
        "are for development and tests only (config.settings.local, config.settings.test)"
    )


def _stripe_refusals(environ: Mapping[str, str]) -> list[str]:
    """Why these Stripe settings must not take payments in production (empty: they may).

    Production never falls back to the emulator: the three keys are required, their modes must
    agree, and a live key only ever talks to Stripe's own API and Stripe.js. Test keys may point at
    another base URL on purpose (compose.yaml runs the whole stack against the emulator that way).
    """
    names = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
    missing = [name for name in names if not environ.get(name, "").strip()]
    if missing:
        return [f"{' and '.join(missing)} must be set in production: there is no emulator fallback "
                "(see docs/payments.md, switching to Stripe)"]
    secret, publishable = environ["STRIPE_SECRET_KEY"].strip(), environ["STRIPE_PUBLISHABLE_KEY"].strip()
    problems = []
    secret_mode = next((m for m in ("test", "live") if secret.startswith((f"sk_{m}_", f"rk_{m}_"))), None)
    publishable_mode = next((m for m in ("test", "live") if publishable.startswith(f"pk_{m}_")), None)
    if secret_mode is None:
        problems.append("STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_test_, sk_live_, rk_...)")
    if publishable_mode is None:
        problems.append("STRIPE_PUBLISHABLE_KEY must be a Stripe publishable key (pk_test_ or pk_live_)")
    if not environ["STRIPE_WEBHOOK_SECRET"].strip().startswith("whsec_"):
        problems.append("STRIPE_WEBHOOK_SECRET must be an endpoint's signing secret (whsec_...)")
    if secret_mode and publishable_mode and secret_mode != publishable_mode:
        problems.append(f"STRIPE_SECRET_KEY is a {secret_mode} key but STRIPE_PUBLISHABLE_KEY is a "
                        f"{publishable_mode} key: both must come from the same mode")
    if "live" in (secret_mode, publishable_mode):
        for name, host in (("STRIPE_API_BASE", "api.stripe.com"), ("STRIPE_JS_URL", "js.stripe.com")):
            value = environ.get(name, "").strip()
            parts = urlsplit(value)
            if value and (parts.scheme != "https" or parts.hostname != host):
                problems.append(f"{name}={value} is not Stripe's ({host}): a live key only talks to Stripe")
    return problems


_refused = _stripe_refusals(os.environ)
if _refused:
    raise ImproperlyConfigured("; ".join(_refused))

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
