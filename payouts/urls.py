"""Ops console URLs of payouts (platform host): /ops/commissions/ and /ops/ledger/."""

from django.urls import path

from payouts import views

app_name = "payouts"

urlpatterns = [
    path("commissions/", views.commission_rules, name="commission-rules"),
    path("commissions/new/", views.commission_rule_edit, name="commission-rule-create"),
    path("commissions/<int:rule_id>/", views.commission_rule_edit, name="commission-rule-edit"),
    path("commissions/preview/", views.commission_preview, name="commission-preview"),
    path("ledger/", views.ledger_overview, name="ledger"),
    path("ledger/adjustments/", views.ledger_adjustment, name="ledger-adjustment"),
]
