"""Development settings: the embedded services, console email, a local secret when none is set."""

from devservices import embedded

# Before base reads them: the embedded PostgreSQL and Valkey unless DATABASE_URL / REDIS_URL are set.
embedded.export_urls()

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import env  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# The demo's admin and finance logins work with their password alone; set
# PLATFORM_STAFF_REQUIRE_MFA=1 to have them set up an authenticator app as production requires.
PLATFORM_STAFF_REQUIRE_MFA = env.bool("PLATFORM_STAFF_REQUIRE_MFA", default=False)

# The API schema and its docs are open while developing (signed-in users only elsewhere).
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"]}  # noqa: F405
