"""URLs of a vendor host (`{slug}.<domain>`): storefront, dashboard, the vendor API."""

from django.urls import include, path, re_path

from accounts import enrolment
from accounts.language import set_language
from analytics import urls as analytics_urls
from catalog import apis as catalog_apis
from catalog import views as catalog_views
from disputes import urls as disputes_urls
from disputes import urls_api as disputes_urls_api
from frontend import views as frontend_views
from frontend import views_dashboard as frontend_views_dashboard
from messaging import urls as messaging_urls
from messaging import urls_api as messaging_urls_api
from notifications import urls as notifications_urls
from promotions import urls as promotions_urls
from reviews import urls as reviews_urls
from reviews import urls_api as reviews_urls_api
from support import urls_audit as support_urls_audit

vendor_api_patterns = [
    path("products/", catalog_apis.ProductListApi.as_view(), name="vendor-products"),
    path(
        "products/<int:product_id>/",
        catalog_apis.ProductDetailApi.as_view(),
        name="vendor-product-detail",
    ),
]

urlpatterns = [
    path("", catalog_views.storefront_home, name="storefront-home"),
    path("", include("storefront.urls")),
    path(".well-known/security.txt", frontend_views.security_txt, name="security-txt"),
    path("favicon.ico", frontend_views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    # Before allauth's own: staff enrol their first authenticator only after an email code.
    path("accounts/2fa/totp/activate/", enrolment.totp_activate, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("dashboard/", frontend_views_dashboard.overview, name="dashboard-home"),
    path("dashboard/products/", catalog_views.dashboard_products, name="dashboard-products"),
    path("dashboard/", include("catalog.urls_dashboard")),
    path("dashboard/", include("vendors.urls_dashboard")),
    path("dashboard/", include("storefront.urls_dashboard")),
    path("dashboard/orders/", include("fulfillment.urls")),
    path("dashboard/settings/shipping/", include("fulfillment.shipping.urls")),
    path("dashboard/", include(disputes_urls.dashboard_patterns)),
    path("dashboard/", include(messaging_urls.dashboard_patterns)),
    path("", include(notifications_urls.bell_patterns)),
    path("dashboard/", include(reviews_urls.dashboard_patterns)),
    path("dashboard/", include(promotions_urls.dashboard_patterns)),
    path("dashboard/", include(analytics_urls.dashboard_patterns)),
    path("dashboard/money/", include("payouts.urls_dashboard")),
    path("dashboard/", include(support_urls_audit.dashboard_patterns)),
    path("dashboard/", include("support.urls_dashboard")),
    path("api/v1/", include("config.urls_api")),
    path("api/v1/vendor/", include(vendor_api_patterns)),
    path("api/v1/vendor/", include("catalog.urls_api")),
    path("api/v1/vendor/", include("vendors.urls_vendor_api")),
    path("api/v1/vendor/", include("storefront.urls_api")),
    path("api/v1/vendor/", include("fulfillment.urls_api")),
    path("api/v1/vendor/", include("fulfillment.shipping.urls_api")),
    path("api/v1/vendor/", include("payouts.urls_vendor_api")),
    path("api/v1/vendor/", include(disputes_urls_api.vendor_patterns)),
    path("api/v1/vendor/", include(messaging_urls_api.vendor_patterns)),
    path("api/v1/vendor/", include(reviews_urls_api.vendor_patterns)),
    path("api/v1/vendor/", include(support_urls_audit.vendor_api_patterns)),
    re_path(r"^media/(?P<path>.+)$", frontend_views.media_serve, name="media"),
]

handler400 = "frontend.views.handler400"
handler403 = "frontend.views.handler403"
handler404 = "frontend.views.handler404"
handler429 = "frontend.views.handler429"  # allauth's rate limits (allauth.core.ratelimit)
handler500 = "frontend.views.handler500"
