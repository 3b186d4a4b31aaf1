"""Ops API routes of payouts (platform host only): `/api/v1/ops/...`."""

from django.urls import path

from payouts import apis

urlpatterns = [
    path("commission-rules/", apis.CommissionRuleListApi.as_view(), name="api-commission-rules"),
    path("commission-rules/<int:rule_id>/", apis.CommissionRuleDetailApi.as_view(),
         name="api-commission-rule"),
    path("commission-preview/", apis.CommissionPreviewApi.as_view(),
         name="api-commission-preview"),
]
