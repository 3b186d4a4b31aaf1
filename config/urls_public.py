"""URLs of the platform host: marketplace, ops console, API, webhooks."""

from django.conf import settings
from django.urls import include, path, re_path

from accounts import enrolment
from accounts.language import set_language
from analytics import urls as analytics_urls
from disputes import urls as disputes_urls
from disputes import urls_api as disputes_urls_api
from frontend import views as frontend_views
from fulfillment import webhooks as fulfillment_webhooks
from marketplace import urls as marketplace_urls
from marketplace import views as marketplace_views
from messaging import urls as messaging_urls
from messaging import urls_api as messaging_urls_api
from payments import views as payments_views
from promotions import urls as promotions_urls
from reviews import urls as reviews_urls
from reviews import urls_api as reviews_urls_api
from tenants import views as tenants_views
from vendors import urls as vendor_urls

api_patterns = [
    path("", include("config.urls_api")),
    path("", include("marketplace.urls_api")),
    path("", include("vendors.urls_api")),
    path("", include("orders.urls_api")),
    path("ops/", include("payouts.urls_api")),
    path("", include(disputes_urls_api.buyer_patterns)),
    path("ops/", include(disputes_urls_api.ops_patterns)),
    path("", include(messaging_urls_api.buyer_patterns)),
    path("", include(reviews_urls_api.buyer_patterns)),
    path("ops/", include(reviews_urls_api.ops_patterns)),
]

urlpatterns = [
    path("", marketplace_views.home, name="home"),
    path(".well-known/security.txt", frontend_views.security_txt, name="security-txt"),
    path("favicon.ico", frontend_views.favicon, name="favicon"),
    # The TLS proxy asks before it obtains a certificate for a custom domain (ADR 0092).
    path("internal/tls/ask", tenants_views.tls_ask, name="tls-ask"),
    path("styleguide/", frontend_views.styleguide, name="styleguide"),
    # Before the marketplace's: `p/<id>/reviews/` would read as a product handle there.
    path("", include(reviews_urls.buyer_patterns)),
    path("", include("marketplace.urls")),
    path("", include("orders.urls")),
    path("", include("payouts.urls_buyer")),
    path("", include(disputes_urls.buyer_patterns)),
    path("ops/", include(disputes_urls.ops_patterns)),
    path("", include(messaging_urls.buyer_patterns)),
    path("ops/", include(messaging_urls.ops_patterns)),
    path("", include("notifications.urls")),
    path("ops/", include(reviews_urls.ops_patterns)),
    path("ops/", include(promotions_urls.ops_patterns)),
    path("ops/", include(marketplace_urls.ops_patterns)),
    path("ops/", include(analytics_urls.ops_patterns)),
    path("accounts/", include("accounts.urls")),
    path("accounts/privacy/", include("support.urls_privacy")),
    # Before allauth's own: staff enrol their first authenticator only after an email code.
    path("accounts/2fa/totp/activate/", enrolment.totp_activate, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("ops/", frontend_views.ops_home, name="ops-home"),
    path("ops/", include(vendor_urls.ops_patterns)),
    path("sell/", include(vendor_urls.sell_patterns)),
    path("ops/webhooks/", include("payments.urls")),
    path("ops/dead-letters/", include("support.urls")),
    path("ops/", include("support.urls_audit")),
    path("ops/support/", include("support.urls_console")),
    path("ops/", include("payouts.urls")),
    path("ops/", include("orders.urls_ops")),
    path("webhooks/stripe/", payments_views.stripe_webhook, name="stripe-webhook"),
    path("webhooks/tracking/<slug:provider>/", fulfillment_webhooks.tracking_webhook, name="tracking-webhook"),
    path("api/v1/", include(api_patterns)),
    re_path(r"^media/(?P<path>.+)$", frontend_views.media_serve, name="media"),
]

if getattr(settings, "DEV_MAILBOX_DIR", None):
    # Development only (config.settings.local): the emails sent, instead of a console full of them.
    urlpatterns.append(path("dev/mail/", include("devservices.mailbox")))

handler400 = "frontend.views.handler400"
handler403 = "frontend.views.handler403"
handler404 = "frontend.views.handler404"
handler429 = "frontend.views.handler429"  # allauth's rate limits (allauth.core.ratelimit)
handler500 = "frontend.views.handler500"
