"""Vendor host dashboard URLs of payouts: /dashboard/money/."""

from django.urls import path, re_path

from payouts import views_dac7, views_invoices, views_money

urlpatterns = [
    path("", views_money.money, name="dashboard-money"),
    path("stripe-dashboard/", views_money.stripe_dashboard, name="dashboard-money-stripe"),
    re_path(r"^statements/(?P<period>\d{4}-\d{2})\.(?P<fmt>csv|pdf)$", views_money.statement_download,
            name="dashboard-money-statement"),
    path("tax-report/", views_dac7.vendor_tax_report, name="dashboard-tax-report"),
    re_path(r"^tax-report/(?P<year>\d{4})\.(?P<fmt>csv|xml)$", views_dac7.vendor_tax_report_download,
            name="dashboard-tax-report-download"),
    path("invoices/", views_invoices.vendor_invoice_list, name="dashboard-invoices"),
    path("invoices/<int:invoice_id>.pdf", views_invoices.vendor_invoice_download, name="dashboard-invoice-download"),
]
