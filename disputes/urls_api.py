"""Claims API routes: buyer (platform /api/v1/), ops (platform /api/v1/ops/), vendor (vendor host)."""

from django.urls import path

from disputes import apis

buyer_patterns = [
    path("claims/", apis.BuyerClaimListApi.as_view(), name="api-claims"),
    path("claims/<int:claim_id>/", apis.BuyerClaimDetailApi.as_view(), name="api-claim-detail"),
    path("claims/<int:claim_id>/messages/", apis.BuyerClaimMessageApi.as_view(), name="api-claim-message"),
    path("claims/<int:claim_id>/escalate/", apis.BuyerClaimEscalateApi.as_view(), name="api-claim-escalate"),
]

ops_patterns = [
    path("claims/", apis.OpsClaimListApi.as_view(), name="api-ops-claims"),
    path("claims/<int:claim_id>/", apis.OpsClaimDetailApi.as_view(), name="api-ops-claim-detail"),
    path("claims/<int:claim_id>/decisions/", apis.OpsClaimDecisionApi.as_view(), name="api-ops-claim-decide"),
    path("claims/<int:claim_id>/messages/", apis.OpsClaimMessageApi.as_view(), name="api-ops-claim-message"),
    path("disputes/", apis.OpsChargebackListApi.as_view(), name="api-ops-chargebacks"),
    path("disputes/<int:chargeback_id>/submit/", apis.OpsChargebackSubmitApi.as_view(),
         name="api-ops-chargeback-submit"),
]

vendor_patterns = [
    path("claims/", apis.VendorClaimListApi.as_view(), name="api-vendor-claims"),
    path("claims/<int:claim_id>/", apis.VendorClaimDetailApi.as_view(), name="api-vendor-claim-detail"),
    path("claims/<int:claim_id>/accept/", apis.VendorClaimAcceptApi.as_view(), name="api-vendor-claim-accept"),
    path("claims/<int:claim_id>/reject/", apis.VendorClaimRejectApi.as_view(), name="api-vendor-claim-reject"),
    path("claims/<int:claim_id>/return-received/", apis.VendorClaimReturnReceivedApi.as_view(),
         name="api-vendor-claim-return-received"),
    path("claims/<int:claim_id>/messages/", apis.VendorClaimMessageApi.as_view(), name="api-vendor-claim-message"),
    path("chargebacks/<int:chargeback_id>/evidence/", apis.VendorChargebackEvidenceApi.as_view(),
         name="api-vendor-chargeback-evidence"),
]
