"""Ops API of money movement (finance role): exports and transfer retries."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsFinance
from common.api import Pagination
from common.exceptions import NotFound
from payouts import exports, transfers
from payouts.models import ExportJob, Transfer


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExportJob.Kind.choices)
    format = serializers.ChoiceField(choices=ExportJob.Format.choices)
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    vendor_id = serializers.IntegerField(required=False, allow_null=True)
    year = serializers.IntegerField(required=False, allow_null=True)


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "kind", "format", "params", "status", "progress", "rows", "total_rows", "error",
                  "created_at", "finished_at", "download_url"]

    def get_download_url(self, job: ExportJob) -> str | None:
        return exports.export_download_url(job=job) if job.status == ExportJob.Status.DONE and job.file else None


class TransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Transfer
        fields = ["id", "sub_order_id", "order_id", "vendor_id", "amount", "currency", "status", "release_at",
                  "hold_reasons", "stripe_transfer_id", "attempts", "last_error", "amount_reversed"]


class ExportJobListApi(APIView):
    permission_classes = [IsFinance]

    @extend_schema(responses=ExportJobSerializer(many=True), operation_id="ops_exports_list")
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(ExportJob.objects.order_by("-created_at", "-id"), request, view=self)
        return paginator.get_paginated_response(ExportJobSerializer(page, many=True).data)

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportJobSerializer, 200: ExportJobSerializer},
                   operation_id="ops_exports_create")
    def post(self, request: Request) -> Response:
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        params = {"date_from": date_from.isoformat() if date_from else "",
                  "date_to": date_to.isoformat() if date_to else "",
                  "vendor_id": data.get("vendor_id"), "year": data.get("year")}
        job, created = exports.export_request(kind=data["kind"], fmt=data["format"], params=params,
                                              user=request.user)
        return Response(ExportJobSerializer(job).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ExportJobDetailApi(APIView):
    permission_classes = [IsFinance]

    @extend_schema(responses=ExportJobSerializer, operation_id="ops_exports_retrieve")
    def get(self, request: Request, job_id: int) -> Response:
        job = ExportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise NotFound(_("No such export."), code="export_not_found")
        return Response(ExportJobSerializer(job).data)


class TransferRetryApi(APIView):
    permission_classes = [IsFinance]

    @extend_schema(request=None, responses=TransferSerializer, operation_id="ops_transfers_retry")
    def post(self, request: Request, transfer_id: int) -> Response:
        return Response(TransferSerializer(transfers.transfer_retry(transfer_id=transfer_id, user=request.user)).data)
