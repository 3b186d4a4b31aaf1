"""Buyer URLs of payouts (platform host): invoices and credit notes of the buyer's own orders."""

from django.urls import path

from payouts import views_invoices

urlpatterns = [
    path("orders/invoices/<int:invoice_id>.pdf", views_invoices.invoice_download, name="invoice-download"),
]
