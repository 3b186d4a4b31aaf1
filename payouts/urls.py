"""Ops console URLs of payouts (platform host): commissions, ledger, transfers, finance."""

from django.urls import path, re_path

from payouts import views, views_dac7, views_finance, views_invoices

app_name = "payouts"

urlpatterns = [
    path("commissions/", views.commission_rules, name="commission-rules"),
    path("commissions/new/", views.commission_rule_edit, name="commission-rule-create"),
    path("commissions/<int:rule_id>/", views.commission_rule_edit, name="commission-rule-edit"),
    path("commissions/preview/", views.commission_preview, name="commission-preview"),
    path("ledger/", views.ledger_overview, name="ledger"),
    path("ledger/adjustments/", views.ledger_adjustment, name="ledger-adjustment"),
    path("transfers/", views_finance.transfer_list, name="transfers"),
    path("transfers/<int:transfer_id>/retry/", views_finance.transfer_retry, name="transfer-retry"),
    path("payout-policies/", views_finance.payout_policies, name="payout-policies"),
    path("finance/", views_finance.finance_overview, name="finance"),
    path("finance/dac7/", views_dac7.dac7_overview, name="dac7"),
    re_path(r"^finance/dac7/(?P<year>\d{4})\.(?P<fmt>csv|xml)$", views_dac7.dac7_download, name="dac7-download"),
    path("finance/reconciliation/", views_finance.reconciliation, name="reconciliation"),
    path("finance/exports/", views_finance.export_list, name="exports"),
    path("finance/invoices/", views_invoices.ops_invoice_list, name="invoices"),
    path("finance/invoices/<int:invoice_id>.pdf", views_invoices.ops_invoice_download, name="invoice-download"),
    path("finance/exports/<int:job_id>/progress/", views_finance.export_progress, name="export-progress"),
    path("finance/exports/download/<str:token>/", views_finance.export_download, name="export-download"),
]
