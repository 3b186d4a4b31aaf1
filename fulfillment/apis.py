"""Vendor fulfilment API (`/api/v1/vendor/orders/...` on the vendor's host; its members only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanIssueRefunds, IsVendorStaff
from common.api import Pagination
from fulfillment import selectors, services
from fulfillment.models import Shipment, VendorOrder, VendorOrderLine


class LineOutput(serializers.ModelSerializer):
    open_quantity = serializers.IntegerField()

    class Meta:
        model = VendorOrderLine
        fields = ["id", "sku", "name", "quantity", "unit_price_amount", "line_amount", "tax_amount",
                  "shipped_quantity", "cancelled_quantity", "open_quantity", "refunded_amount"]


class ShipmentOutput(serializers.ModelSerializer):
    carrier_display = serializers.CharField(read_only=True)
    tracking_url = serializers.CharField(read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "carrier", "carrier_name", "carrier_display", "tracking_number", "tracking_url", "shipped_at",
                  "status", "delivered_at"]


class VendorOrderOutput(serializers.ModelSerializer):
    lines = LineOutput(many=True)
    shipments = ShipmentOutput(many=True)

    class Meta:
        model = VendorOrder
        fields = ["id", "order_number", "status", "buyer_email", "currency", "subtotal_amount",
                  "shipping_amount", "tax_amount", "total_amount", "refunded_amount", "shipping_name",
                  "ship_name", "ship_line1", "ship_line2", "ship_city", "ship_region",
                  "ship_postal_code", "ship_country", "placed_at", "delivered_at", "lines", "shipments"]


class VendorOrderSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = VendorOrder
        fields = ["id", "order_number", "status", "currency", "total_amount", "placed_at"]


class ShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=64, help_text="A carrier code (dhl, ups, fedex, usps, royal_mail, "
                                    "la_poste, dpd, gls, postnl, ...) or \"other\" with carrier_name")
    carrier_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                         help_text="The carrier's name when carrier is \"other\"")
    tracking_number = serializers.CharField(max_length=64, help_text="In the carrier's format")
    lines = serializers.DictField(child=serializers.IntegerField(min_value=0),
                                  help_text="{line_id: quantity to ship now}")


class DeliveredInput(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CancelInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class VendorOrderListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor orders"], summary="This vendor's orders to fulfil",
                   responses=VendorOrderSummaryOutput(many=True))
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        queryset = selectors.vendor_orders_list(status=request.query_params.get("status", ""))
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(VendorOrderSummaryOutput(page, many=True).data)


class VendorOrderDetailApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor orders"], summary="One order with lines and shipments", responses=VendorOrderOutput)
    def get(self, request: Request, vendor_order_id: int) -> Response:
        return Response(VendorOrderOutput(selectors.vendor_order_detail(vendor_order_id=vendor_order_id)).data)


class VendorOrderShipApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor orders"], summary="Ship lines (partial shipments allowed)",
                   request=ShipInput, responses={201: VendorOrderOutput})
    def post(self, request: Request, vendor_order_id: int) -> Response:
        data = ShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.vendor_order_detail(vendor_order_id=vendor_order_id)
        services.vendor_order_ship(vendor_order_id=vendor_order_id, quantities=data.validated_data["lines"],
                                   carrier=data.validated_data["carrier"],
                                   tracking_number=data.validated_data["tracking_number"], user=request.user,
                                   carrier_name=data.validated_data["carrier_name"])
        order = selectors.vendor_order_detail(vendor_order_id=vendor_order_id)
        return Response(VendorOrderOutput(order).data, status=status.HTTP_201_CREATED)


class VendorOrderLineCancelApi(APIView):
    permission_classes = [CanIssueRefunds]

    @extend_schema(tags=["vendor orders"], summary="Cancel units of a line: refunded, stock returned",
                   request=CancelInput, responses=VendorOrderOutput)
    def post(self, request: Request, vendor_order_id: int, line_id: int) -> Response:
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.vendor_order_line_cancel(vendor_order_id=vendor_order_id, line_id=line_id,
                                          quantity=data.validated_data["quantity"], user=request.user)
        return Response(VendorOrderOutput(selectors.vendor_order_detail(vendor_order_id=vendor_order_id)).data)


class VendorOrderDeliveredApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor orders"], summary="Mark a fully shipped order delivered (pickup, no tracking)",
                   request=DeliveredInput, responses=VendorOrderOutput)
    def post(self, request: Request, vendor_order_id: int) -> Response:
        data = DeliveredInput(data=request.data)
        data.is_valid(raise_exception=True)
        selectors.vendor_order_detail(vendor_order_id=vendor_order_id)
        services.vendor_order_mark_delivered(vendor_order_id=vendor_order_id, user=request.user,
                                             note=data.validated_data["note"])
        return Response(VendorOrderOutput(selectors.vendor_order_detail(vendor_order_id=vendor_order_id)).data)
