"""Base settings, 12-factor: every value comes from the environment with a secure default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

from common.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# --- core ------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="marketplace.localhost")
PLATFORM_NAME = env("PLATFORM_NAME", default="Marketplace")
PLATFORM_SCHEME = env("PLATFORM_SCHEME", default="http")
PLATFORM_PORT = env("PLATFORM_PORT", default="")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}", "localhost", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Custom vendor domains (ADR 0092): admitted as hosts only once verified (tenants.middleware), by
# a TXT record `_<prefix>-challenge.<name>` or a file `/.well-known/<prefix>-domain-verification/<token>`.
DOMAIN_VERIFICATION_PREFIX = env("DOMAIN_VERIFICATION_PREFIX", default="marketplace")
DOMAIN_DNS_NAMESERVERS = env.list("DOMAIN_DNS_NAMESERVERS", default=[])  # empty: the system's resolver
DOMAIN_DNS_PORT = env.int("DOMAIN_DNS_PORT", default=53)
DOMAIN_DNS_TIMEOUT_SECONDS = env.float("DOMAIN_DNS_TIMEOUT_SECONDS", default=5.0)
DOMAIN_VERIFICATION_HTTP_PORT = env.int("DOMAIN_VERIFICATION_HTTP_PORT", default=80)
# The HTTP check never reaches private addresses (request forgery), except in tests on this machine.
DOMAIN_VERIFICATION_ALLOW_PRIVATE_ADDRESSES = False
CUSTOM_DOMAINS_PER_STORE = env.int("CUSTOM_DOMAINS_PER_STORE", default=5)
# Slugs a vendor can never take: they are, or could become, platform hosts.
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "ops", "static", "media", "mail", "app", "dashboard", "help",
     "support", "status", "webhooks", "stripe", "public", "marketplace", "assets", "cdn"}
)

# --- apps ------------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",  # sitemap.xml on every host (ADR 0090)
]
THIRD_PARTY_SHARED_APPS = [
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_countries",
    "csp",
    "auditlog",  # the platform audit log's capture (entries in accounts.AuditLogEntry, ADR 0073)
    "hijack",  # impersonation for support (ADR 0074)
]
LOCAL_SHARED_APPS = [
    "common",
    "accounts",
    "tenants",
    "vendors",
    "marketplace",
    "payments",
    "payouts",
    "disputes",
    # After payouts, vendors and disputes: their webhook handlers and signals run before ours.
    "notifications",
    "messaging",
    "reviews",
    "promotions",
    "analytics",
    "frontend",
    "orders",
    "support",
    "demo",
]
# Apps whose tables live in every vendor's schema.
TENANT_APPS = [
    "catalog",
    "storefront",
    "fulfillment",
]
SHARED_APPS = ["django_tenants", *DJANGO_APPS, *THIRD_PARTY_SHARED_APPS, *LOCAL_SHARED_APPS]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Store"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
TENANT_LIMIT_SET_CALLS = True
# New vendor schemas are cloned from this migrated, empty template (several times faster than
# running every migration; see docs/benchmarks.md). Empty: run the migrations for each schema.
TENANT_BASE_SCHEMA = env("TENANT_BASE_SCHEMA", default="tenant_template")
# django-tenants clones only when this is set as well (otherwise it runs the migrations).
TENANT_CREATION_FAKES_MIGRATIONS = bool(TENANT_BASE_SCHEMA)
# `migrate_schemas` skips vendor schemas whose applied migrations match the code's and migrates
# the others in parallel (ADR 0060); `--executor standard` runs django-tenants' own loop.
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.executor_for"
TENANT_MIGRATION_WORKERS = env.int("TENANT_MIGRATION_WORKERS", default=0)  # 0: min(4, cores)

MIDDLEWARE = [
    "common.middleware.RequestBodyLimitMiddleware",
    "common.middleware.HealthCheckMiddleware",
    # Admits verified custom vendor domains as hosts, and keeps sign-in off them (ADR 0092).
    "tenants.middleware.CustomDomainMiddleware",
    "tenants.middleware.TenantMiddleware",  # django-tenants' own, a custom domain routed by its whole name
    # Binds a vendor host's database connection to its vendor: row-level security (ADR 0047).
    "vendors.middleware.VendorScopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.UserLanguageMiddleware",
    "accounts.staff_sessions.StaffSessionMiddleware",
    # Impersonation (ADR 0074): marks request.user as impersonated, then refuses writes while it is.
    "hijack.middleware.HijackUserMiddleware",
    "accounts.impersonation.ImpersonationReadOnlyMiddleware",
    # Who and from where, for the audit entries written during the request (ADR 0073).
    "accounts.audit_capture.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "common.middleware.RequestContextMiddleware",
    # After the response is built: what the page noted for analytics (common.page_events, ADR 0083).
    "analytics.middleware.PageEventsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.platform",
                # Last: a page rendered for the shared cache gets a CSRF placeholder (ADR 0065).
                "common.page_cache.csrf_placeholder",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- database --------------------------------------------------------------------------------
# Required here: production settings refuse to start without them, and the development and test
# settings export the embedded servers' URLs (devservices) before importing this module.
DATABASES = {"default": env.db_url_config(env("DATABASE_URL"))}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica for the marketplace's listing reads (search, category and product pages), when
# DATABASE_REPLICA_URL names one: `common.databases.replica_alias()`; everything else stays on the
# primary. It mirrors the primary in tests, which build no database of their own for it.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url_config(env.str("DATABASE_REPLICA_URL"))
    DATABASES["replica"].update({
        "ENGINE": "django_tenants.postgresql_backend",
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    })
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, broker ---------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the request or task that wrote it, except the security
        # counters (sign-in limits, used 2FA codes, rate limits), which all hosts share.
        "KEY_FUNCTION": "common.cache.make_key",
        "REVERSE_KEY_FUNCTION": "common.cache.reverse_key",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message taken by a worker that dies unacknowledged goes back to the queue this long after it
# was taken. Longer than any countdown, ETA or retry delay of our tasks (a delayed message is held
# unacknowledged until it is due; a shorter timeout would deliver it twice): 2 h, where the longest
# today is the webhook apply's last retry (43 min; its cap setting allows 1 h), checked by
# tests/common/test_celery_visibility.py. Work a killed worker held comes back after it, or sooner
# through the sweeps of docs/reliability.md.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=2 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The CloudWatch alarms and the worker scaling policy read this metric.
    "queue-depth-publish": {"task": "common.tasks.queue_depth_publish", "schedule": 60.0},
}

# --- audit log and impersonation (ADR 0073, 0074) ----------------------------------------------
AUDITLOG_LOGENTRY_MODEL = "accounts.AuditLogEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Every change of these models is logged with who, from where, before and after; add a model here
# (by label: accounts may not import the apps above it) and its changes are in the log. The
# per-app audit rows (the last five) feed it: each one written is one entry.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    # A user's email and name are personal data and the log is never edited: their changes are not
    # tracked, so an erasure leaves no copy behind (ADR 0073).
    {"model": "accounts.User", "include_fields": ["is_active", "is_staff", "is_superuser", "platform_role"]},
    "vendors.Vendor",
    "vendors.VendorApplication",
    {"model": "vendors.Membership", "exclude_fields": ["updated_at"]},
    "marketplace.Category",
    "payouts.CommissionRule",
    {"model": "disputes.Claim", "include_fields": ["status", "return_status", "accepted_amount", "respond_by"]},
    {"model": "catalog.Product", "exclude_fields": ["updated_at", "version"]},
    "support.DeadLetter",
    "vendors.AuditEntry",
    "support.DeadLetterEvent",
    "disputes.ClaimEvent",
    "orders.OrderEvent",
    "payouts.TransferEvent",
)
# Support staff see the site as a buyer or vendor user, read-only (accounts.impersonation).
HIJACK_PERMISSION_CHECK = "accounts.impersonation.impersonation_allowed"
HIJACK_INSERT_BEFORE = None  # our own banner, in the base layouts
# Off by default: while impersonating, every unsafe method is refused. On: writes are allowed and
# each one is logged with the impersonating admin as its actor.
IMPERSONATION_ALLOW_WRITES = env.bool("IMPERSONATION_ALLOW_WRITES", default=False)

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = True
# Two-factor authentication (allauth.mfa): an authenticator app, with recovery codes. Platform
# admins and finance move money, so they must have it before using the console or its API.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PLATFORM_NAME
# One period either side (RFC 6238 5.2): a code typed in the last seconds of its 30 s period, or
# from a phone whose clock is a little off, still works. A code is still accepted once only.
MFA_TOTP_TOLERANCE = 1
PLATFORM_STAFF_REQUIRE_MFA = env.bool("PLATFORM_STAFF_REQUIRE_MFA", default=True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Load balancers and proxies in front of the web servers, each appending to X-Forwarded-For: the
# client address every limit counts is the one the outermost trusted proxy saw. 0: REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# allauth's limits (sign-in, 2FA codes, password reset, sign-up), shared by every host and by the
# token endpoint. "login_failed": per address, and per account (email) for the lockout.
ACCOUNT_RATE_LIMITS = {
    "login": env("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "reset_password": env("RATE_LIMIT_PASSWORD_RESET", default="20/m/ip,5/m/key"),
    "reset_password_from_key": "20/m/ip",
    "signup": env("RATE_LIMIT_SIGNUP", default="10/h/ip"),
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
    "confirm_email": "1/3m/key",
}
# The platform's own limits (common.ratelimit), on every host: "<amount>/<period>[/user|/ip]",
# comma-separated; without a suffix the amount holds for the account and for the address each.
# Addresses get more room than accounts: many buyers can share one (offices, mobile carriers).
# Never applied to webhooks.
RATE_LIMITS = {
    "seller_application": env("RATE_LIMIT_SELLER_APPLICATION", default="5/h/user,20/h/ip"),
    "checkout": env("RATE_LIMIT_CHECKOUT", default="10/10m/user,60/10m/ip"),
    "search": env("RATE_LIMIT_SEARCH", default="120/m/ip,240/m/user"),
    # Guests: new anonymous carts, and setting a password on a guest order's account.
    "guest_cart": env("RATE_LIMIT_GUEST_CART", default="30/h/ip"),
    "guest_claim": env("RATE_LIMIT_GUEST_CLAIM", default="10/h/ip"),
    # Coupon codes tried in a cart (page or API): guessing codes is slow (docs/adr/0094).
    "coupon": env("RATE_LIMIT_COUPON", default="10/10m/user,30/10m/ip"),
}
# API tokens (django-rest-knox): hashed, expiring, one per device, revoked when the password or
# the second factor changes (accounts.tokens).
KNOX_TOKEN_MODEL = "accounts.ApiToken"
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
API_TOKEN_MAX_PER_USER = env.int("API_TOKEN_MAX_PER_USER", default=20)
# knox's own model is swapped for ours; its migrations would still create its unused table.
# The same for django-auditlog's entry model (ours: accounts.AuditLogEntry).
MIGRATION_MODULES = {"knox": None, "auditlog": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",  # what clients of the previous tokens already send
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
}
# Staff sessions end this long after sign-in (others keep allauth's two weeks): accounts.staff_sessions.
PLATFORM_STAFF_SESSION_SECONDS = env.int("PLATFORM_STAFF_SESSION_SECONDS", default=12 * 3600)

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so a request without credentials gets 401 with WWW-Authenticate.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "common.api.Pagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "common.schema.ApiSchema",  # pages and error answers (ADR 0043)
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace API",
    "DESCRIPTION": "Marketplace, vendor and operations API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint: signed-in users only (token or session), on every host;
    # open in local development (config.settings.local).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models call their state field `status`; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ClaimStatusEnum": "disputes.models.Claim.Status",
        "ClaimReasonEnum": "disputes.models.Claim.Reason",
        "ProductStatusEnum": "catalog.models.Product.Status",
        "StockAdjustmentReasonEnum": "catalog.models.StockAdjustment.Reason",
        "VendorOrderStatusEnum": "fulfillment.models.VendorOrder.Status",
        "ExportJobKindEnum": "payouts.models.ExportJob.Kind",
        "ApplicationDocumentKindEnum": "vendors.models.ApplicationDocument.Kind",
        "JournalEntryKindEnum": "payouts.models.JournalEntry.Kind",
        "ChargebackOutcomeEnum": "disputes.models.Chargeback.Outcome",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "ClaimDecisionOutcomeEnum": [("refund_full", "refund_full"), ("refund_partial", "refund_partial"),
                                     ("deny", "deny")],
    },
}

# --- i18n ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as read in Europe (day first, 24-hour clock); German and French keep Django's (ADR 0053).
FORMAT_MODULE_PATH = ["frontend.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Anonymous pages and public API answers cached per host and language until the listing
# projection changes (ADR 0065); 0 turns the cache off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)

# --- static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".local" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media")))
PRIVATE_MEDIA_ROOT = Path(
    env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / ".local" / "private"))
)
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_PRIVATE_BUCKET_NAME = env("AWS_PRIVATE_BUCKET_NAME", default="")
# Finance exports: their own bucket (lifecycle rule expires them) when set, else the private one.
AWS_EXPORTS_BUCKET_NAME = env("AWS_EXPORTS_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="eu-west-1")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
# The CDN host in front of the media bucket (cdn.<domain>): public media URLs become stable and
# unsigned. Read from AWS_S3_CUSTOM_DOMAIN but kept under another name, so that django-storages
# does not apply it to the private buckets as well (common/storage.py).
MEDIA_CDN_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {"BACKEND": "common.storage.TenantS3Storage"}
else:
    _default_storage = {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Whole request bodies: the largest allowed upload (a claim's five 5 MB attachments; a 20 MB
# catalog CSV) plus 1 MB for the form; larger declared bodies get 413 before being read
# (common.middleware.RequestBodyLimitMiddleware).
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=26 * 1024 * 1024)

# --- operations ------------------------------------------------------------------------------
# While the database restarts or fails over (or the cache is unreachable), requests answer 503
# with this Retry-After (common.outage): an RDS Multi-AZ failover takes one to two minutes, a
# restart seconds; clients retrying sooner than this only add load.
SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS", default=5)
CLOUDWATCH_METRICS_NAMESPACE = env("CLOUDWATCH_METRICS_NAMESPACE", default="")
CLOUDWATCH_ENDPOINT_URL = env("CLOUDWATCH_ENDPOINT_URL", default="")

# --- email -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"no-reply@{PLATFORM_DOMAIN}")
# /.well-known/security.txt (RFC 9116) on every host: where researchers report vulnerabilities
# (an email address or an https:// URL), and how far ahead its Expires field lies.
SECURITY_CONTACT = env("SECURITY_CONTACT", default=f"security@{PLATFORM_DOMAIN}")
SECURITY_TXT_EXPIRES_DAYS = env.int("SECURITY_TXT_EXPIRES_DAYS", default=180)
# A staging or preview deployment asks search engines to stay away from every host (ADR 0090).
ROBOTS_DISALLOW_ALL = env.bool("ROBOTS_DISALLOW_ALL", default=False)

# --- payments --------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# The Connect endpoint's own secret (events of connected accounts), when registered separately.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Uploads (dispute evidence) go to Stripe's files host; empty: files.stripe.com on Stripe, the
# API base otherwise (the emulator serves both).
STRIPE_FILES_BASE = env("STRIPE_FILES_BASE", default="")
# Where pages load Stripe.js from (the only third-party script; the payment page's CSP allows its
# origin). Empty: https://js.stripe.com/v3/ on Stripe, the emulator's stand-in (<emulator>/v3/)
# when no Stripe key is set (payments.gateway.stripe_js_url).
STRIPE_JS_URL = env("STRIPE_JS_URL", default="")
# The gateway's retries (payments/gateway.py): one attempt's HTTP timeout, the retries after it,
# and the deadline after which no attempt starts that could outlast it. Kept below the web
# worker's timeout (gunicorn --timeout 30), so a buyer gets "try again", never a killed request.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=3)
STRIPE_RETRY_DEADLINE_SECONDS = env.float("STRIPE_RETRY_DEADLINE_SECONDS", default=25.0)
# Safety net for webhook events whose apply task was lost (broker down at intake, worker crash).
CELERY_BEAT_SCHEDULE["payments-webhook-events-requeue-stuck"] = {
    "task": "payments.tasks.webhook_events_requeue_stuck", "schedule": 120.0,
}
# Waiting events of one account applied by one task in one transaction (1: one at a time; ADR 0063).
PAYMENTS_WEBHOOK_APPLY_BATCH = env.int("PAYMENTS_WEBHOOK_APPLY_BATCH", default=50)

# --- orders (cart, checkout) -----------------------------------------------------------------
ORDERS_RESERVATION_MINUTES = env.int("ORDERS_RESERVATION_MINUTES", default=15)
ORDERS_MAX_FAILED_PAYMENTS = env.int("ORDERS_MAX_FAILED_PAYMENTS", default=5)
# Stock hoarding (orders.services.buyer_limits): orders awaiting payment per buyer, and what a new
# account (joined less than ORDERS_NEW_BUYER_HOURS ago, or never paid) may hold at once.
ORDERS_MAX_UNPAID_PER_BUYER = env.int("ORDERS_MAX_UNPAID_PER_BUYER", default=3)
ORDERS_NEW_BUYER_HOURS = env.int("ORDERS_NEW_BUYER_HOURS", default=24)
ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT = env.int("ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT", default=10)
ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR = env.int("ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR", default=30)
# Velocity rules (orders/services/velocity.py, docs/adr/0045): orders, distinct cards and failed
# payments per buyer and per client address in the window. Per metric (soft, hard): more than
# `soft` sends the paid order to the ops review queue; once `hard` is reached checkout is refused
# (429). New accounts (see ORDERS_NEW_BUYER_HOURS) get `new_buyer` instead of `buyer`.
ORDERS_VELOCITY_WINDOW_MINUTES = 60
ORDERS_VELOCITY_LIMITS = {
    "buyer": {"orders": (5, 10), "cards": (3, 5), "failed_payments": (3, 8)},
    "new_buyer": {"orders": (2, 4), "cards": (1, 3), "failed_payments": (2, 4)},
    "address": {"orders": (10, 20), "cards": (5, 10), "failed_payments": (6, 15)},
}
# The tax engine (docs/adr/0070): rates as data (orders/data/tax_rates.json) or Stripe Tax
# ("orders.tax.StripeTaxCalculator", served by the emulator when no Stripe key is set).
# Exchange rates (docs/adr/0086): the provider (orders.currency.EcbHttpProvider in production, the
# file provider reading ORDERS_FX_ECB_FILE or the shipped sample otherwise), the ECB's daily file,
# how old the last known rate may be when a day has none (weekends, holidays), and the currency a
# buyer sees when neither country nor language decides.
ORDERS_FX_PROVIDER = env("ORDERS_FX_PROVIDER", default="orders.currency.EcbFileProvider")
ORDERS_FX_ECB_URL = env("ORDERS_FX_ECB_URL", default="https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml")
ORDERS_FX_ECB_FILE = env("ORDERS_FX_ECB_FILE", default="")
ORDERS_FX_TIMEOUT_SECONDS = env.int("ORDERS_FX_TIMEOUT_SECONDS", default=10)
ORDERS_FX_MAX_AGE_DAYS = env.int("ORDERS_FX_MAX_AGE_DAYS", default=4)
ORDERS_FX_DEFAULT_CURRENCY = env("ORDERS_FX_DEFAULT_CURRENCY", default="EUR")
CELERY_BEAT_SCHEDULE["orders-exchange-rates-refresh"] = {
    "task": "orders.tasks.exchange_rates_refresh", "schedule": 3600.0,
}
ORDERS_TAX_CALCULATOR = env("ORDERS_TAX_CALCULATOR", default="orders.tax.DataRateTaxCalculator")
# The VAT-number registry checked for reverse charge: the local one (no network) or VIES.
ORDERS_VAT_REGISTRY = env("ORDERS_VAT_REGISTRY", default="orders.vat.LocalVatRegistry")
ORDERS_VAT_UNREGISTERED = env.list("ORDERS_VAT_UNREGISTERED", default=[])
CELERY_BEAT_SCHEDULE["orders-expire-reservations"] = {
    "task": "orders.tasks.orders_expire_reservations", "schedule": 60.0,
}
# Confirmations whose task was lost (broker down when the order was paid).
CELERY_BEAT_SCHEDULE["orders-confirmations-requeue"] = {
    "task": "orders.tasks.orders_confirmations_requeue", "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["fulfillment-copies-pending"] = {
    "task": "fulfillment.tasks.vendor_order_copies_pending", "schedule": 300.0,
}
# Carrier tracking webhooks (EasyPost's shape, docs/adr/0079): the endpoint's HMAC secret. Without
# one the endpoint refuses every delivery.
TRACKING_WEBHOOK_SECRET = env("TRACKING_WEBHOOK_SECRET", default="")
# Shipping labels: "local" draws the label here (docs/adr/0080).
FULFILLMENT_LABEL_PROVIDER = env("FULFILLMENT_LABEL_PROVIDER", default="local")

# --- payouts (transfers, payouts, finance exports) ---------------------------------------------
# When vendors' funds go out: immediate | on_shipment | days_after_delivery (+ PAYOUTS_HOLD_DAYS).
PAYOUTS_HOLD_POLICY = env("PAYOUTS_HOLD_POLICY", default="immediate")
PAYOUTS_HOLD_DAYS = env.int("PAYOUTS_HOLD_DAYS", default=7)
# A part shipped in full whose delivery is never confirmed counts as delivered this many days after
# its last shipment (days_after_delivery only; docs/adr/0079).
PAYOUTS_DELIVERY_GRACE_DAYS = env.int("PAYOUTS_DELIVERY_GRACE_DAYS", default=21)
PAYOUTS_TRANSFER_MAX_ATTEMPTS = env.int("PAYOUTS_TRANSFER_MAX_ATTEMPTS", default=8)
PAYOUTS_TRANSFER_RETRY_BASE_SECONDS = env.int("PAYOUTS_TRANSFER_RETRY_BASE_SECONDS", default=60)
PAYOUTS_EXPORT_LINK_SECONDS = env.int("PAYOUTS_EXPORT_LINK_SECONDS", default=24 * 3600)
# DAC7 reports (docs/adr/0088): the reporting platform operator as named in the DPI XML header.
PAYOUTS_DAC7_OPERATOR_NAME = env("PAYOUTS_DAC7_OPERATOR_NAME", default="Marketplace Operator GmbH")
PAYOUTS_DAC7_OPERATOR_TIN = env("PAYOUTS_DAC7_OPERATOR_TIN", default="DE000000000")
PAYOUTS_DAC7_OPERATOR_COUNTRY = env("PAYOUTS_DAC7_OPERATOR_COUNTRY", default="DE")
PAYOUTS_DAC7_OPERATOR_ADDRESS = env("PAYOUTS_DAC7_OPERATOR_ADDRESS", default="Musterstraße 1, 10115 Berlin")
# US Form 1099-K: reportable when gross payments exceed the amount (USD cents) AND the number of
# transactions exceeds the count (IRC 6050W(e) as amended in 2025: $20,000 and 200; docs/adr/0088).
PAYOUTS_1099K_GROSS_THRESHOLD = env.int("PAYOUTS_1099K_GROSS_THRESHOLD", default=2_000_000)
PAYOUTS_1099K_TRANSACTION_THRESHOLD = env.int("PAYOUTS_1099K_TRANSACTION_THRESHOLD", default=200)
CELERY_BEAT_SCHEDULE["payouts-transfers-release-due"] = {
    "task": "payouts.tasks.transfers_release_due", "schedule": 300.0,
}
# Exports whose task was lost (broker down when queued, worker killed while building).
CELERY_BEAT_SCHEDULE["payouts-export-jobs-requeue-stalled"] = {
    "task": "payouts.tasks.export_jobs_requeue_stalled", "schedule": 300.0,
}
# Vendors hear about variants at or below their alert level (notifications, once a day each).
CELERY_BEAT_SCHEDULE["notifications-low-stock-scan"] = {
    "task": "notifications.tasks.low_stock_scan", "schedule": 3600.0,
}
# Safety net for the catalog outbox (the relay is normally queued on commit).
CELERY_BEAT_SCHEDULE["catalog-outbox-relay-sweep"] = {
    "task": "catalog.tasks.outbox_relay_sweep", "schedule": 60.0,
}
# CSV imports whose task was lost (broker down when queued, worker killed while importing).
CELERY_BEAT_SCHEDULE["catalog-csv-imports-requeue-stalled"] = {
    "task": "catalog.tasks.csv_imports_requeue_stalled", "schedule": 300.0,
}

# --- disputes (claims, returns, chargebacks) --------------------------------------------------
DISPUTES_RETURN_WINDOW_DAYS = env.int("DISPUTES_RETURN_WINDOW_DAYS", default=30)
DISPUTES_CLAIM_WINDOW_DAYS = env.int("DISPUTES_CLAIM_WINDOW_DAYS", default=60)
DISPUTES_VENDOR_SLA_BUSINESS_DAYS = env.int("DISPUTES_VENDOR_SLA_BUSINESS_DAYS", default=3)
# "refunded": the platform gives its commission back on refunds the vendor bears; "kept": it keeps it.
DISPUTES_COMMISSION_ON_REFUND = env("DISPUTES_COMMISSION_ON_REFUND", default="refunded")
# Who bears a lost chargeback (amount and fee): "vendor" or "platform"; and how it is recovered:
# "reversal" (transfer reversal) or "balance" (negative balance deducted from future transfers).
DISPUTES_CHARGEBACK_LIABILITY = env("DISPUTES_CHARGEBACK_LIABILITY", default="vendor")
DISPUTES_CHARGEBACK_RECOVERY = env("DISPUTES_CHARGEBACK_RECOVERY", default="reversal")
CELERY_BEAT_SCHEDULE["disputes-claims-escalate-overdue"] = {
    "task": "disputes.tasks.claims_escalate_overdue", "schedule": 900.0,
}

# --- support: buyers' privacy requests ---------------------------------------------------------
# How long an export's signed link (and its file) lives; after how long without a login or an
# order a buyer's personal data is erased by the daily retention job (docs/privacy.md).
PRIVACY_EXPORT_LINK_SECONDS = env.int("PRIVACY_EXPORT_LINK_SECONDS", default=7 * 24 * 3600)
PRIVACY_BUYER_RETENTION_DAYS = env.int("PRIVACY_BUYER_RETENTION_DAYS", default=3 * 365)
# How long a closed store's schema is kept (reopening possible) after it is settled and archived.
VENDORS_SCHEMA_RETENTION_DAYS = env.int("VENDORS_SCHEMA_RETENTION_DAYS", default=90)
CELERY_BEAT_SCHEDULE["support-offboardings-advance"] = {
    "task": "support.tasks.offboardings_advance", "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["support-privacy-retention"] = {
    "task": "support.tasks.privacy_retention_run", "schedule": 24 * 3600.0,
}

# --- analytics (events, rollups, forecasts; docs/analytics.md, ADR 0083-0085) -------------------
# The key of the visitor id's daily salt (HMAC of address and browser); empty: DJANGO_SECRET_KEY.
ANALYTICS_VISITOR_SECRET = env("ANALYTICS_VISITOR_SECRET", default="")
# A visitor's same event on the same object counts once in this window (the dedupe key's life).
ANALYTICS_DEDUPE_SECONDS = env.int("ANALYTICS_DEDUPE_SECONDS", default=120)
# Page events waiting in Valkey for the flush; beyond this many they are dropped (a stalled flush).
ANALYTICS_BUFFER_MAX = env.int("ANALYTICS_BUFFER_MAX", default=1_000_000)
# Catalog's low-stock alerts read the demand forecast through this function, named, not imported
# (catalog sits below analytics): `(vendor_id=, product_ids=) -> {product id: units per week}`.
CATALOG_DEMAND_PER_WEEK = "analytics.forecast.demand_per_week"
CELERY_BEAT_SCHEDULE["analytics-events-flush"] = {"task": "analytics.tasks.events_flush", "schedule": 10.0}
CELERY_BEAT_SCHEDULE["analytics-rollup"] = {"task": "analytics.tasks.rollup_daily", "schedule": 900.0}
CELERY_BEAT_SCHEDULE["analytics-export"] = {"task": "analytics.tasks.events_export_yesterday", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["analytics-partitions"] = {"task": "analytics.tasks.partitions_ahead", "schedule": 24 * 3600.0}
# Recommendation tables (ADR 0095): rebuilt whole from listings, paid orders and recent views.
RECOMMENDATIONS_REFRESH_SECONDS = env.float("RECOMMENDATIONS_REFRESH_SECONDS", default=3600.0)
CELERY_BEAT_SCHEDULE["analytics-recommendations"] = {"task": "analytics.tasks.recommendations_refresh",
                                                     "schedule": RECOMMENDATIONS_REFRESH_SECONDS}

# --- security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, fonts, frames and connections from this host
# only, no inline scripts or event handlers (behaviour lives in frontend/static/js/). Styles allow
# 'unsafe-inline' for the style attributes of a few templates and htmx's indicator style.
# Images may also come from the media CDN or bucket, and be data: URIs (the 2FA QR code,
# Bootstrap's form icons). No form-action: checkout posts, then redirects to Stripe's page.
# Only the order's payment page loads Stripe.js: it adds Stripe.js's origin (from STRIPE_JS_URL)
# to script-src, frame-src and connect-src for itself (orders.views.order_pay).
def _media_origins() -> list[str]:
    if MEDIA_CDN_DOMAIN:
        return [f"https://{MEDIA_CDN_DOMAIN}"]
    if not AWS_STORAGE_BUCKET_NAME:
        # Local media is served on each vendor's own host (/media/<schema>/ on {slug}.domain),
        # which marketplace pages show pictures from; any port (development servers, tests).
        return [f"*.{PLATFORM_DOMAIN}:*"]
    if AWS_S3_ENDPOINT_URL:
        return [AWS_S3_ENDPOINT_URL.rstrip("/")]
    return [f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *_media_origins()],
        "worker-src": ["'self'", "blob:"],  # Redoc (the API docs) runs its search in a blob worker
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- logging ---------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="plain")  # "json" in production
LOGGING = logging_config(level=LOG_LEVEL, json_output=LOG_FORMAT == "json")
