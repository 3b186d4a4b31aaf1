"""API routes shared by the public and vendor hosts (`/api/v1/`)."""

from django.urls import path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.apis import MeApi, TokenApi
from common.openapi import HostSchemaView

urlpatterns = [
    path("me/", MeApi.as_view(), name="api-me"),
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("schema/", HostSchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script for the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
