"""Development settings: the embedded services, the local mailbox, a local secret when none is set."""

from devservices import embedded

# Before base reads them: the embedded PostgreSQL and Valkey unless DATABASE_URL / REDIS_URL are set.
embedded.export_urls()

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import env  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")
# The carrier tracking webhook's secret (the sample payloads in tests/fulfillment/samples/ are signed with the test one).
TRACKING_WEBHOOK_SECRET = env("TRACKING_WEBHOOK_SECRET", default="local-tracking-webhook-secret")

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# The demo's admin and finance logins work with their password alone; set
# PLATFORM_STAFF_REQUIRE_MFA=1 to have them set up an authenticator app as production requires.
PLATFORM_STAFF_REQUIRE_MFA = env.bool("PLATFORM_STAFF_REQUIRE_MFA", default=False)
# No network needed: the shipped ECB sample's rates, dated today and labelled "sample" (ADR 0086).
ORDERS_FX_PROVIDER = env("ORDERS_FX_PROVIDER", default="orders.currency.SampleRatesProvider")

# The API schema and its docs are open while developing (signed-in users only elsewhere).
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"]}  # noqa: F405

# Email lands in the local mailbox at /dev/mail/ (devservices.mailbox) unless EMAIL_URL names
# another backend; production never sets DEV_MAILBOX_DIR, so never routes to that page.
DEV_MAILBOX_DIR = embedded.LOCAL_DIR / "mailbox"
if not env("EMAIL_URL", default=""):
    EMAIL_BACKEND = "devservices.mailbox.MailboxBackend"

# `make run` stays readable: a line per request (runserver's, and the stripe library's one per
# API call) only with LOG_LEVEL=DEBUG; warnings and errors always.
_REQUEST_LOG_LEVEL = "DEBUG" if LOG_LEVEL.upper() == "DEBUG" else "WARNING"  # noqa: F405
LOGGING["loggers"].update({  # noqa: F405
    "django.server": {"level": _REQUEST_LOG_LEVEL},
    "stripe": {"level": _REQUEST_LOG_LEVEL},
})

# Custom domains' HTTP check may reach a web server on this machine (ADR 0092).
DOMAIN_VERIFICATION_ALLOW_PRIVATE_ADDRESSES = True
