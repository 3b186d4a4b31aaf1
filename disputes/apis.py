"""Claims API: buyers (platform host), the vendor (its host) and admins (ops), plus chargeback evidence.

Thin views: validate the input shape, call one service, answer with the claim. Another party's
claim id is a 404, exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanIssueRefunds, IsPlatformAdmin, IsVendorStaff, current_vendor
from common.api import Pagination
from disputes import selectors, services
from disputes.models import Chargeback, ChargebackEvidence, Claim, ClaimMessage

# ---------------------------------------------------------------------------------------------
# serializers
# ---------------------------------------------------------------------------------------------


class ClaimLineInput(serializers.Serializer):
    order_line_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=999)


class ClaimCreateInput(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1)
    sub_order_id = serializers.IntegerField(min_value=1, help_text="The vendor's part of the order.")
    reason = serializers.ChoiceField(choices=Claim.Reason.choices)
    description = serializers.CharField(max_length=services.DESCRIPTION_MAX)
    lines = ClaimLineInput(many=True, allow_empty=False)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=services.DESCRIPTION_MAX)


class AcceptInput(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                      help_text="Minor units; omitted = everything claimed (full refund).")
    return_required = serializers.BooleanField(default=False)
    return_instructions = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    return_carrier = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    return_tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.DESCRIPTION_MAX)


class DecisionInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["refund_full", "refund_partial", "deny"])
    amount = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    liability = serializers.ChoiceField(choices=Claim.Liability.choices, default="vendor")
    vendor_amount = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                             help_text="With a split: the seller's part of the refund.")
    note = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True, default="")


class EvidenceInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChargebackEvidence.Kind.choices)
    text = serializers.CharField(max_length=services.DESCRIPTION_MAX, required=False, allow_blank=True, default="")


class EvidenceSubmitInput(serializers.Serializer):
    uncategorized_text = serializers.CharField(required=False, allow_blank=True, default="")
    shipping_tracking_number = serializers.CharField(required=False, allow_blank=True, default="")
    shipping_carrier = serializers.CharField(required=False, allow_blank=True, default="")
    product_description = serializers.CharField(required=False, allow_blank=True, default="")
    refund_policy_disclosure = serializers.CharField(required=False, allow_blank=True, default="")
    refund_refusal_explanation = serializers.CharField(required=False, allow_blank=True, default="")
    access_activity_log = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.DictField(
        child=serializers.IntegerField(min_value=1), required=False,
        help_text="Evidence file field (receipt, shipping_documentation, customer_communication, "
                  "refund_policy, service_documentation, cancellation_policy, customer_signature, "
                  "duplicate_charge_documentation, uncategorized_file) → id of a vendor's evidence item "
                  "with a file. Omitted: each file goes to its kind's field (else uncategorized_file). "
                  "The files are uploaded to Stripe (purpose dispute_evidence) and their ids sent.")


class ClaimLineOutput(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    name = serializers.CharField(source="order_line.name")
    sku = serializers.CharField(source="order_line.sku")
    quantity = serializers.IntegerField()


class MessageOutput(serializers.ModelSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ClaimMessage
        fields = ["id", "role", "body", "created_at", "attachments"]

    def get_attachments(self, obj: ClaimMessage) -> list[dict[str, Any]]:
        return [{"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
                for a in obj.attachments.all()]


class ClaimOutput(serializers.ModelSerializer):
    number = serializers.CharField()
    vendor = serializers.CharField(source="vendor.slug")
    lines = ClaimLineOutput(many=True)

    class Meta:
        model = Claim
        fields = ["id", "number", "order_id", "sub_order_id", "vendor", "reason", "status", "description",
                  "currency", "respond_by", "accepted_amount", "refunded_amount", "return_status",
                  "return_instructions", "return_carrier", "return_tracking_number", "reject_reason",
                  "escalated_at", "escalated_by", "resolved_at", "liability", "decision_note", "lines",
                  "created_at"]


class ClaimDetailOutput(ClaimOutput):
    messages = MessageOutput(many=True)
    attachments = serializers.SerializerMethodField()

    class Meta(ClaimOutput.Meta):
        fields = [*ClaimOutput.Meta.fields, "messages", "attachments"]

    def get_attachments(self, obj: Claim) -> list[dict[str, Any]]:
        return [{"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size,
                 "role": a.role} for a in obj.attachments.all() if a.message_id is None]


class ChargebackOutput(serializers.ModelSerializer):
    class Meta:
        model = Chargeback
        fields = ["id", "stripe_dispute_id", "order_id", "amount", "currency", "reason", "stripe_status",
                  "due_by", "fee_amount", "outcome", "evidence_submitted_at", "created_at"]


class OpsChargebackOutput(ChargebackOutput):
    """What admins see: with the evidence as sent to Stripe (file fields hold `file_...` ids)."""

    class Meta(ChargebackOutput.Meta):
        fields = [*ChargebackOutput.Meta.fields, "submitted_evidence"]


def _files(request: Request, name: str = "attachments") -> list[Any]:
    return list(request.FILES.getlist(name)) if hasattr(request, "FILES") else []


def _page(view: APIView, request: Request, qs: Any, serializer: type[serializers.Serializer]) -> Response:
    paginator = Pagination()
    page: Any = paginator.paginate_queryset(qs.prefetch_related("lines__order_line"), request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def _detail(claim: Claim) -> Response:
    return Response(ClaimDetailOutput(claim).data)


# ---------------------------------------------------------------------------------------------
# buyer (platform host)
# ---------------------------------------------------------------------------------------------
class BuyerClaimListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(tags=["claims"], responses=ClaimOutput(many=True), operation_id="claims_list")
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.claims_for_buyer(user=request.user), ClaimOutput)

    @extend_schema(tags=["claims"], request=ClaimCreateInput, responses={201: ClaimDetailOutput},
                   operation_id="claims_create",
                   description="Open a claim on one vendor's part of a paid order (photos: the page form).")
    def post(self, request: Request) -> Response:
        data = ClaimCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        claim = services.claim_open(
            buyer=request.user, order_id=values["order_id"], sub_order_id=values["sub_order_id"],
            reason=values["reason"], description=values["description"],
            lines={item["order_line_id"]: item["quantity"] for item in values["lines"]},
        )
        return Response(ClaimDetailOutput(selectors.claim_for_buyer(user=request.user, claim_id=claim.pk)).data,
                        status=status.HTTP_201_CREATED)


class BuyerClaimDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["claims"], responses=ClaimDetailOutput, operation_id="claims_retrieve")
    def get(self, request: Request, claim_id: int) -> Response:
        return _detail(selectors.claim_for_buyer(user=request.user, claim_id=claim_id))


class BuyerClaimMessageApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["claims"], request=MessageInput, responses={201: ClaimDetailOutput},
                   operation_id="claims_message")
    def post(self, request: Request, claim_id: int) -> Response:
        claim = selectors.claim_for_buyer(user=request.user, claim_id=claim_id)
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_message_post(claim_id=claim.pk, user=request.user, role=ClaimMessage.Role.BUYER,
                                    body=data.validated_data["body"], attachments=_files(request),
                                    scope={"buyer": request.user})
        return Response(ClaimDetailOutput(selectors.claim_for_buyer(user=request.user, claim_id=claim.pk)).data,
                        status=status.HTTP_201_CREATED)


class BuyerClaimEscalateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["claims"], request=None, responses=ClaimDetailOutput, operation_id="claims_escalate")
    def post(self, request: Request, claim_id: int) -> Response:
        services.claim_escalate(claim_id=claim_id, user=request.user, by="buyer")
        return _detail(selectors.claim_for_buyer(user=request.user, claim_id=claim_id))


# ---------------------------------------------------------------------------------------------
# vendor (its own host)
# ---------------------------------------------------------------------------------------------
class VendorClaimListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor claims"], responses=ClaimOutput(many=True), operation_id="vendor_claims_list",
                   parameters=[OpenApiParameter("status", str, required=False)])
    def get(self, request: Request) -> Response:
        qs = selectors.claims_for_vendor(vendor=current_vendor(request), status=request.query_params.get("status", ""))
        return _page(self, request, qs, ClaimOutput)


class VendorClaimDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor claims"], responses=ClaimDetailOutput, operation_id="vendor_claims_retrieve")
    def get(self, request: Request, claim_id: int) -> Response:
        return _detail(selectors.claim_for_vendor(vendor=current_vendor(request), claim_id=claim_id))


class VendorClaimAcceptApi(APIView):
    permission_classes = [CanIssueRefunds]

    @extend_schema(tags=["vendor claims"], request=AcceptInput, responses=ClaimDetailOutput,
                   operation_id="vendor_claims_accept")
    def post(self, request: Request, claim_id: int) -> Response:
        vendor = current_vendor(request)
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_accept(claim_id=claim_id, vendor=vendor, user=request.user, **data.validated_data)
        return _detail(selectors.claim_for_vendor(vendor=vendor, claim_id=claim_id))


class VendorClaimRejectApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor claims"], request=RejectInput, responses=ClaimDetailOutput,
                   operation_id="vendor_claims_reject")
    def post(self, request: Request, claim_id: int) -> Response:
        vendor = current_vendor(request)
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_reject(claim_id=claim_id, vendor=vendor, user=request.user, reason=data.validated_data["reason"])
        return _detail(selectors.claim_for_vendor(vendor=vendor, claim_id=claim_id))


class VendorClaimReturnReceivedApi(APIView):
    permission_classes = [CanIssueRefunds]

    @extend_schema(tags=["vendor claims"], request=None, responses=ClaimDetailOutput,
                   operation_id="vendor_claims_return_received")
    def post(self, request: Request, claim_id: int) -> Response:
        vendor = current_vendor(request)
        services.claim_return_received(claim_id=claim_id, vendor=vendor, user=request.user)
        return _detail(selectors.claim_for_vendor(vendor=vendor, claim_id=claim_id))


class VendorClaimMessageApi(APIView):
    permission_classes = [IsVendorStaff]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["vendor claims"], request=MessageInput, responses={201: ClaimDetailOutput},
                   operation_id="vendor_claims_message")
    def post(self, request: Request, claim_id: int) -> Response:
        vendor = current_vendor(request)
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_message_post(claim_id=claim_id, user=request.user, role=ClaimMessage.Role.VENDOR,
                                    body=data.validated_data["body"], attachments=_files(request),
                                    scope={"vendor": vendor})
        return Response(ClaimDetailOutput(selectors.claim_for_vendor(vendor=vendor, claim_id=claim_id)).data,
                        status=status.HTTP_201_CREATED)


class VendorChargebackEvidenceApi(APIView):
    permission_classes = [IsVendorStaff]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["vendor claims"], request=EvidenceInput, responses={201: ChargebackOutput},
                   operation_id="vendor_chargebacks_evidence")
    def post(self, request: Request, chargeback_id: int) -> Response:
        vendor = current_vendor(request)
        data = EvidenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.chargeback_evidence_add(chargeback_id=chargeback_id, vendor=vendor, user=request.user,
                                         upload=request.FILES.get("file"), **data.validated_data)
        return Response(ChargebackOutput(selectors.chargeback_for_vendor(vendor=vendor, chargeback_id=chargeback_id)).data,
                        status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# ops (admins)
# ---------------------------------------------------------------------------------------------
class OpsClaimListApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], responses=ClaimOutput(many=True), operation_id="ops_claims_list",
                   parameters=[OpenApiParameter("status", str, required=False,
                                                description="escalated (default), active, or any status")])
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.claims_for_ops(status=request.query_params.get("status", "escalated")),
                     ClaimOutput)


class OpsClaimDetailApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], responses=ClaimDetailOutput, operation_id="ops_claims_retrieve")
    def get(self, request: Request, claim_id: int) -> Response:
        return _detail(selectors.claim_for_ops(claim_id=claim_id))


class OpsClaimDecisionApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], request=DecisionInput, responses={200: ClaimDetailOutput},
                   operation_id="ops_claims_decide",
                   description="Decide an escalated claim. A second decision gets 409 `claim_already_decided`.")
    def post(self, request: Request, claim_id: int) -> Response:
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_decide(claim_id=claim_id, admin=request.user, **data.validated_data)
        return _detail(selectors.claim_for_ops(claim_id=claim_id))


class OpsClaimMessageApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], request=MessageInput, responses={201: ClaimDetailOutput},
                   operation_id="ops_claims_message")
    def post(self, request: Request, claim_id: int) -> Response:
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_message_post(claim_id=claim_id, user=request.user, role=ClaimMessage.Role.ADMIN,
                                    body=data.validated_data["body"])
        return Response(ClaimDetailOutput(selectors.claim_for_ops(claim_id=claim_id)).data,
                        status=status.HTTP_201_CREATED)


class OpsChargebackListApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], responses=ChargebackOutput(many=True), operation_id="ops_chargebacks_list",
                   parameters=[OpenApiParameter("state", str, required=False, description="open (default), closed, all")])
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        qs = selectors.chargebacks_for_ops(state=request.query_params.get("state", "open"))
        page: Any = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ChargebackOutput(page, many=True).data)


class OpsChargebackSubmitApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops claims"], request=EvidenceSubmitInput, responses=OpsChargebackOutput,
                   operation_id="ops_chargebacks_submit")
    def post(self, request: Request, chargeback_id: int) -> Response:
        data = EvidenceSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        files = fields.pop("files", None)
        chargeback = services.chargeback_evidence_submit(chargeback_id=chargeback_id, admin=request.user,
                                                         fields=fields, files=files)
        return Response(OpsChargebackOutput(chargeback).data)
