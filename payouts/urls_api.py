"""Ops API routes of payouts (platform host only): `/api/v1/ops/...`."""

from django.urls import path

from payouts import apis, apis_finance

urlpatterns = [
    path("commission-rules/", apis.CommissionRuleListApi.as_view(), name="api-commission-rules"),
    path("commission-rules/<int:rule_id>/", apis.CommissionRuleDetailApi.as_view(),
         name="api-commission-rule"),
    path("commission-preview/", apis.CommissionPreviewApi.as_view(),
         name="api-commission-preview"),
    path("exports/", apis_finance.ExportJobListApi.as_view(), name="api-exports"),
    path("exports/<int:job_id>/", apis_finance.ExportJobDetailApi.as_view(), name="api-export"),
    path("transfers/<int:transfer_id>/retry/", apis_finance.TransferRetryApi.as_view(),
         name="api-transfer-retry"),
]
