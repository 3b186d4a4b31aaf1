"""The buyer's privacy pages on the platform host (/accounts/privacy/)."""

from django.urls import path

from support import views_privacy

urlpatterns = [
    path("", views_privacy.privacy_page, name="account-privacy"),
    path("export/", views_privacy.privacy_export, name="account-privacy-export"),
    path("erase/", views_privacy.privacy_erase, name="account-privacy-erase"),
    path("exports/<int:request_id>/", views_privacy.privacy_export_download, name="account-privacy-download"),
]
