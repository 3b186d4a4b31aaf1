"""The vendor API of custom domains (mounted under `/api/v1/vendor/`, owners only; ADR 0092)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVendorOwner
from tenants import domains
from tenants.models import CustomDomain, Store


class CustomDomainOutputSerializer(serializers.ModelSerializer):
    txt_name = serializers.SerializerMethodField()
    txt_value = serializers.SerializerMethodField()
    http_url = serializers.SerializerMethodField()

    class Meta:
        model = CustomDomain
        fields = ["id", "domain", "status", "verified_by", "verified_at", "last_check_error", "token",
                  "txt_name", "txt_value", "http_url", "created_at"]

    def get_txt_name(self, obj: CustomDomain) -> str:
        return domains.instructions_for(obj).txt_name

    def get_txt_value(self, obj: CustomDomain) -> str:
        return domains.instructions_for(obj).txt_value

    def get_http_url(self, obj: CustomDomain) -> str:
        return domains.instructions_for(obj).http_url


class CustomDomainInputSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=300)


def _store(request: Request) -> Store:
    store: Store = request.tenant  # type: ignore[attr-defined]  # django-tenants sets it from the host
    return store


def _output(claim: CustomDomain) -> dict[str, Any]:
    return dict(CustomDomainOutputSerializer(claim).data)


class CustomDomainListApi(APIView):
    permission_classes = [IsVendorOwner]

    @extend_schema(responses=CustomDomainOutputSerializer(many=True), operation_id="vendor_domains_list")
    def get(self, request: Request) -> Response:
        return Response(CustomDomainOutputSerializer(domains.custom_domains_of(_store(request)), many=True).data)

    @extend_schema(request=CustomDomainInputSerializer, responses={201: CustomDomainOutputSerializer},
                   operation_id="vendor_domains_add")
    def post(self, request: Request) -> Response:
        data = CustomDomainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = domains.custom_domain_add(store=_store(request), domain=data.validated_data["domain"])
        return Response(_output(claim), status=status.HTTP_201_CREATED)


class CustomDomainVerifyApi(APIView):
    permission_classes = [IsVendorOwner]

    @extend_schema(request=None, responses=CustomDomainOutputSerializer, operation_id="vendor_domains_verify")
    def post(self, request: Request, domain_id: int) -> Response:
        claim = domains.custom_domain_verify(store=_store(request), domain_id=domain_id)
        return Response(_output(claim))


class CustomDomainDetailApi(APIView):
    permission_classes = [IsVendorOwner]

    @extend_schema(responses={204: None}, operation_id="vendor_domains_remove")
    def delete(self, request: Request, domain_id: int) -> Response:
        domains.custom_domain_remove(store=_store(request), domain_id=domain_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
