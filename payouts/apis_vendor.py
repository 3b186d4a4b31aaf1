"""Vendor API of money (vendor host, managers and owners): transfers and balances of this vendor.

Every query is scoped by the vendor of the host; another vendor's transfer id is a 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.permissions import current_vendor
from common.api import Pagination
from payouts.errors import TransferNotFound
from payouts.ledger.selectors import vendor_balances
from payouts.models import Transfer


class CanSeeVendorMoney(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return roles.can_see_vendor_money(request.user, current_vendor(request))


class VendorTransferSerializer(serializers.ModelSerializer):
    order_number = serializers.SerializerMethodField()
    amount_due = serializers.IntegerField(read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "order_id", "order_number", "amount", "amount_reversed", "amount_due", "currency", "status",
                  "release_at", "transferred_at", "stripe_transfer_id"]

    def get_order_number(self, transfer: Transfer) -> str:
        return f"{transfer.order_id:06d}"


class VendorMoneyPagination(Pagination):
    """A page of transfers plus the vendor's balances (the view adds them)."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        names = ["pending", "available", "reserved", "paid_out"]
        paginated["properties"]["balances"] = {
            "type": "object", "properties": {name: {"type": "integer"} for name in names},
            "required": names, "description": "This vendor's ledger balances, minor units of its currency."}
        paginated["required"] = [*paginated.get("required", []), "balances"]
        return paginated


class VendorMoneyApi(APIView):
    permission_classes = [CanSeeVendorMoney]
    pagination_class = VendorMoneyPagination

    @extend_schema(responses=VendorTransferSerializer(many=True), operation_id="vendor_money_transfers")
    def get(self, request: Request) -> Response:
        vendor = current_vendor(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            Transfer.objects.filter(vendor=vendor).order_by("-created_at", "-id"), request, view=self)
        response = paginator.get_paginated_response(VendorTransferSerializer(page, many=True).data)
        response.data["balances"] = vendor_balances(vendor_id=vendor.pk, currency=vendor.currency)
        return response


class VendorTransferDetailApi(APIView):
    permission_classes = [CanSeeVendorMoney]

    @extend_schema(responses=VendorTransferSerializer, operation_id="vendor_money_transfer")
    def get(self, request: Request, transfer_id: int) -> Response:
        transfer = Transfer.objects.filter(vendor=current_vendor(request), pk=transfer_id).first()
        if transfer is None:
            raise TransferNotFound(_("No such transfer."))
        return Response(VendorTransferSerializer(transfer).data)
