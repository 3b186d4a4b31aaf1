"""Claim and dispute pages: buyer (platform host), ops console (platform /ops/), vendor dashboard."""

from django.urls import path

from disputes import views

buyer_patterns = [
    path("orders/<int:order_id>/claims/new/", views.buyer_claim_new, name="buyer-claim-new"),
    path("claims/", views.buyer_claim_list, name="buyer-claim-list"),
    path("claims/<int:claim_id>/", views.buyer_claim_detail, name="buyer-claim-detail"),
    path("claims/<int:claim_id>/messages/", views.buyer_claim_message, name="buyer-claim-message"),
    path("claims/<int:claim_id>/escalate/", views.buyer_claim_escalate, name="buyer-claim-escalate"),
    path("claims/<int:claim_id>/withdraw/", views.buyer_claim_withdraw, name="buyer-claim-withdraw"),
    path("claims/<int:claim_id>/attachments/<int:attachment_id>/", views.buyer_claim_attachment,
         name="buyer-claim-attachment"),
]

ops_patterns = [
    path("claims/", views.ops_claim_list, name="ops-claim-list"),
    path("claims/<int:claim_id>/", views.ops_claim_detail, name="ops-claim-detail"),
    path("claims/<int:claim_id>/decide/", views.ops_claim_decide, name="ops-claim-decide"),
    path("claims/<int:claim_id>/messages/", views.ops_claim_message, name="ops-claim-message"),
    path("claims/<int:claim_id>/attachments/<int:attachment_id>/", views.ops_claim_attachment,
         name="ops-claim-attachment"),
    path("disputes/", views.ops_dispute_list, name="ops-dispute-list"),
    path("disputes/<int:chargeback_id>/", views.ops_dispute_detail, name="ops-dispute-detail"),
    path("disputes/<int:chargeback_id>/evidence/<int:evidence_id>/", views.ops_evidence_file,
         name="ops-evidence-file"),
]

dashboard_patterns = [
    path("claims/", views.vendor_claim_list, name="vendor-claim-list"),
    path("claims/policy/", views.vendor_claim_policy, name="vendor-claim-policy"),
    path("claims/<int:claim_id>/", views.vendor_claim_detail, name="vendor-claim-detail"),
    path("claims/<int:claim_id>/accept/", views.vendor_claim_accept, name="vendor-claim-accept"),
    path("claims/<int:claim_id>/reject/", views.vendor_claim_reject, name="vendor-claim-reject"),
    path("claims/<int:claim_id>/return-received/", views.vendor_claim_return_received,
         name="vendor-claim-return-received"),
    path("claims/<int:claim_id>/messages/", views.vendor_claim_message, name="vendor-claim-message"),
    path("claims/<int:claim_id>/attachments/<int:attachment_id>/", views.vendor_claim_attachment,
         name="vendor-claim-attachment"),
    path("chargebacks/", views.vendor_chargeback_list, name="vendor-chargeback-list"),
    path("chargebacks/<int:chargeback_id>/", views.vendor_chargeback_detail, name="vendor-chargeback-detail"),
    path("chargebacks/<int:chargeback_id>/evidence/<int:evidence_id>/", views.vendor_evidence_file,
         name="vendor-evidence-file"),
]
