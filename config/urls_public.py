"""URLs of the platform host: marketplace, ops console, API, webhooks."""

from django.urls import include, path, re_path

from frontend import views as frontend_views
from marketplace import views as marketplace_views

api_patterns = [
    path("", include("config.urls_api")),
    path("ops/", include("payouts.urls_api")),
]

urlpatterns = [
    path("", marketplace_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ops/", frontend_views.ops_home, name="ops-home"),
    path("ops/", include("payouts.urls")),
    path("api/v1/", include(api_patterns)),
    re_path(r"^media/(?P<path>.+)$", frontend_views.media_serve, name="media"),
]

handler400 = "frontend.views.handler400"
handler403 = "frontend.views.handler403"
handler404 = "frontend.views.handler404"
handler500 = "frontend.views.handler500"
