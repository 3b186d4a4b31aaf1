"""Onboarding API (`/api/v1/`): applications and their review, vendor status, profile, members."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_countries import countries
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import (
    IsPlatformAdmin,
    IsVendorManager,
    IsVendorOwner,
    IsVendorStaff,
    current_vendor,
)
from common.api import Pagination
from common.exceptions import ApplicationError
from vendors import selectors, services
from vendors.models import ApplicationDocument, AuditEntry, Membership, Vendor, VendorApplication


class DocumentOutputSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationDocument
        fields = ["id", "kind", "original_name", "content_type", "size", "created_at", "download_url"]

    def get_download_url(self, obj: ApplicationDocument) -> str:
        return f"/sell/documents/{obj.pk}/"


class AuditOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["created_at", "action", "from_status", "to_status", "reason", "actor"]

    def get_actor(self, obj: AuditEntry) -> str | None:
        return obj.actor.email if obj.actor else None


class ApplicationOutputSerializer(serializers.ModelSerializer):
    country = serializers.CharField()
    applicant = serializers.EmailField(source="applicant.email", read_only=True)
    documents = DocumentOutputSerializer(many=True, read_only=True)
    has_logo = serializers.SerializerMethodField()
    vendor_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = VendorApplication
        fields = [
            "id", "status", "applicant", "business_name", "legal_form", "country", "currency",
            "contact_name", "contact_email", "contact_phone", "slug", "categories", "description",
            "has_logo", "documents", "submitted_at", "decided_at", "reviewer_message",
            "vendor_id", "created_at", "updated_at",
        ]

    def get_has_logo(self, obj: VendorApplication) -> bool:
        return bool(obj.logo)


@extend_schema_field({"type": "string", "enum": ["", *(code for code, _name in countries)],
                     "description": "ISO 3166-1 alpha-2 code (any case)."})
class CountryCodeField(serializers.CharField):
    """A country code; `validate_country` checks it against the list the schema gives."""


class ApplicationInputSerializer(serializers.Serializer):
    business_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    legal_form = serializers.ChoiceField(choices=VendorApplication.LegalForm.choices, required=False,
                                         allow_blank=True)
    country = CountryCodeField(max_length=2, required=False, allow_blank=True)
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.RegexField(r"^\+?[0-9 ()\-]{6,30}$", required=False, allow_blank=True)
    slug = serializers.CharField(max_length=40, required=False, allow_blank=True)
    categories = serializers.ListField(child=serializers.JSONField(), required=False, max_length=50)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)

    def validate_country(self, value: str) -> str:
        value = value.upper()
        if value and value not in dict(countries):
            raise serializers.ValidationError(_("Unknown country code."))
        return value


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ApplicationListApi(APIView):
    @extend_schema(
        responses=ApplicationOutputSerializer(many=True), operation_id="applications_list",
        parameters=[OpenApiParameter("status", str), OpenApiParameter("q", str),
                    OpenApiParameter("sort", str)],
        description="Admins: the review queue (drafts excluded unless asked). Others: their own.",
    )
    def get(self, request: Request) -> Response:
        from accounts import roles

        if roles.acts_as_platform_admin(request.user):
            queryset = selectors.applications_for_review(
                status=request.query_params.get("status"), search=request.query_params.get("q", ""),
                sort=request.query_params.get("sort", "submitted"),
            )
        else:
            queryset = selectors.applications_visible_to(user=request.user).order_by("-created_at")
        queryset = queryset.prefetch_related("documents")
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ApplicationOutputSerializer(page, many=True).data)

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationOutputSerializer},
                   operation_id="applications_create")
    def post(self, request: Request) -> Response:
        serializer = ApplicationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_create(applicant=request.user, **serializer.validated_data)
        return Response(ApplicationOutputSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    @extend_schema(responses=ApplicationOutputSerializer, operation_id="applications_retrieve")
    def get(self, request: Request, application_id: int) -> Response:
        application = selectors.application_get_for(user=request.user, application_id=application_id)
        data = dict(ApplicationOutputSerializer(application).data)
        data["history"] = AuditOutputSerializer(
            selectors.application_history(application=application)[:50], many=True
        ).data
        return Response(data)

    @extend_schema(request=ApplicationInputSerializer, responses=ApplicationOutputSerializer,
                   operation_id="applications_partial_update")
    def patch(self, request: Request, application_id: int) -> Response:
        application = selectors.application_get_for(user=request.user, application_id=application_id)
        serializer = ApplicationInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        application = services.application_update(
            application=application, actor=request.user, **serializer.validated_data
        )
        return Response(ApplicationOutputSerializer(application).data)


class ApplicationDocumentApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("DocumentUpload", {
            "file": serializers.FileField(),
            "kind": serializers.ChoiceField(choices=ApplicationDocument.Kind.choices, required=False),
        })},
        responses={201: DocumentOutputSerializer}, operation_id="applications_documents_create",
    )
    def post(self, request: Request, application_id: int) -> Response:
        application = selectors.application_get_for(user=request.user, application_id=application_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError(_("Attach a file."), code="invalid", fields={"file": ["required"]})
        document = services.application_document_add(
            application=application, actor=request.user, upload=upload,
            kind=request.POST.get("kind") or ApplicationDocument.Kind.REGISTRATION,
        )
        return Response(DocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED)


class ApplicationLogoApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": inline_serializer("LogoUpload", {"logo": serializers.FileField()})},
        responses=ApplicationOutputSerializer, operation_id="applications_logo_set",
    )
    def put(self, request: Request, application_id: int) -> Response:
        application = selectors.application_get_for(user=request.user, application_id=application_id)
        upload = request.FILES.get("logo")
        if upload is None:
            raise ApplicationError(_("Attach a logo."), code="invalid", fields={"logo": ["required"]})
        application = services.application_logo_set(
            application=application, actor=request.user, upload=upload
        )
        return Response(ApplicationOutputSerializer(application).data)


class ApplicationSubmitApi(APIView):
    @extend_schema(request=None, responses=ApplicationOutputSerializer,
                   operation_id="applications_submit")
    def post(self, request: Request, application_id: int) -> Response:
        application = selectors.application_get_for(user=request.user, application_id=application_id)
        application = services.application_submit(application=application, actor=request.user)
        return Response(ApplicationOutputSerializer(application).data)


def _decision_api(action: str, service: Any, description: str) -> type[APIView]:
    class DecisionApi(APIView):
        permission_classes = [IsPlatformAdmin]
        parser_classes = [JSONParser, FormParser, MultiPartParser]

        @extend_schema(request=ReasonInputSerializer, responses=ApplicationOutputSerializer,
                       operation_id=f"applications_{action}", description=description)
        def post(self, request: Request, application_id: int) -> Response:
            application = get_object_or_404(VendorApplication, pk=application_id)
            serializer = ReasonInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            application = service(application=application, actor=request.user,
                                  reason=serializer.validated_data["reason"])
            return Response(ApplicationOutputSerializer(application).data)

    DecisionApi.__name__ = f"Application{action.title().replace('_', '')}Api"
    return DecisionApi


ApplicationApproveApi = _decision_api(
    "approve", services.application_approve,
    "Approve a submitted application: the vendor, its schema and Connect account are created in "
    "the background. 409 if the application is not submitted (also on a second approval).",
)
ApplicationRejectApi = _decision_api(
    "reject", services.application_reject, "Reject with a reason (required)."
)
ApplicationRequestChangesApi = _decision_api(
    "request_changes", services.application_request_changes,
    "Send the application back to the applicant with a message (required).",
)


class SlugAvailabilityApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("slug", str, required=True)],
        responses=inline_serializer("SlugAvailability", {
            "slug": serializers.CharField(), "available": serializers.BooleanField(),
        }),
        operation_id="slug_availability",
    )
    def get(self, request: Request) -> Response:
        slug = services.slug_availability_check(slug=request.query_params.get("slug", ""))
        return Response({"slug": slug, "available": True})


class VendorOutputSerializer(serializers.ModelSerializer):
    store_status = serializers.CharField(source="store.status", default=None)

    class Meta:
        model = Vendor
        fields = ["id", "slug", "name", "status", "country", "currency", "description",
                  "support_email", "stripe_account_id", "charges_enabled", "payouts_enabled",
                  "stripe_details_submitted", "stripe_requirements", "suspended_at",
                  "store_status", "onboarding_error", "is_selling", "content_language"]


class VendorStatusApi(APIView):
    permission_classes = [IsPlatformAdmin]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=ReasonInputSerializer, responses=VendorOutputSerializer,
                   operation_id="vendors_status_change",
                   description="action: suspend (reason required), reinstate, retry-onboarding.")
    def post(self, request: Request, vendor_id: int, action: str) -> Response:
        vendor = get_object_or_404(Vendor.objects.select_related("store"), pk=vendor_id)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        if action == "suspend":
            vendor = services.vendor_suspend(vendor=vendor, actor=request.user, reason=reason)
        elif action == "reinstate":
            vendor = services.vendor_reinstate(vendor=vendor, actor=request.user, reason=reason)
        elif action == "retry-onboarding":
            vendor = services.vendor_onboarding_retry(vendor=vendor, actor=request.user)
        else:
            from django.http import Http404

            raise Http404
        vendor = Vendor.objects.select_related("store").get(pk=vendor.pk)
        return Response(VendorOutputSerializer(vendor).data)


# --- vendor host (`/api/v1/vendor/…`) ---------------------------------------------------------


class VendorProfileInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    content_language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)


class VendorProfileApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=VendorOutputSerializer, operation_id="vendor_profile_retrieve")
    def get(self, request: Request) -> Response:
        return Response(VendorOutputSerializer(current_vendor(request)).data)

    @extend_schema(request=VendorProfileInputSerializer, responses=VendorOutputSerializer,
                   operation_id="vendor_profile_partial_update")
    def patch(self, request: Request) -> Response:
        if not IsVendorManager().has_permission(request, self):
            self.permission_denied(request)
        serializer = VendorProfileInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vendor = services.vendor_profile_update(
            vendor=current_vendor(request), **serializer.validated_data
        )
        return Response(VendorOutputSerializer(vendor).data)


class MemberOutputSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "created_at"]


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=[("manager", "manager"), ("staff", "staff")])


class VendorMembersApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(responses=MemberOutputSerializer(many=True), operation_id="vendor_members_list")
    def get(self, request: Request) -> Response:
        members = selectors.members_of(vendor=current_vendor(request))
        paginator = Pagination()
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response(MemberOutputSerializer(page, many=True).data)


class VendorInvitationApi(APIView):
    permission_classes = [IsVendorOwner]

    @extend_schema(
        request=InvitationInputSerializer,
        responses={201: inline_serializer("InvitationCreated", {
            "id": serializers.IntegerField(), "email": serializers.EmailField(),
            "role": serializers.CharField(), "expires_at": serializers.DateTimeField(),
        })},
        operation_id="vendor_invitations_create",
    )
    def post(self, request: Request) -> Response:
        serializer = InvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _secret = services.invitation_create(
            vendor=current_vendor(request), actor=request.user, **serializer.validated_data
        )
        return Response({"id": invitation.pk, "email": invitation.email, "role": invitation.role,
                         "expires_at": invitation.expires_at}, status=status.HTTP_201_CREATED)


class VendorMemberDetailApi(APIView):
    permission_classes = [IsVendorOwner]

    @extend_schema(responses={204: None}, operation_id="vendor_members_remove")
    def delete(self, request: Request, membership_id: int) -> Response:
        membership = get_object_or_404(Membership, pk=membership_id, vendor=current_vendor(request))
        services.membership_remove(membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
