"""Vendor shipping settings API (`/api/v1/vendor/shipping/zones/...` on the vendor's host).

Every member reads; only owners and managers change (accounts' roles). Amounts are integer minor
units of the vendor's currency; a zone is written whole, its methods and bands included.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsVendorManager, IsVendorStaff
from common.api import Pagination
from fulfillment.shipping import selectors, services
from fulfillment.shipping.models import ShippingMethod, ShippingRateBand, ShippingZone


class BandSerializer(serializers.Serializer):
    lower = serializers.IntegerField(help_text="From (inclusive): grams for weight bands, minor units for value bands.")
    upper = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="Up to (exclusive); null: no upper end.")
    amount = serializers.IntegerField(help_text="Price in minor units.")


class MethodSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.CharField(max_length=10, default=ShippingMethod.Kind.STANDARD,
                                 help_text="standard | express | pickup")
    rate_kind = serializers.CharField(max_length=10, default=ShippingMethod.RateKind.FLAT,
                                      help_text="flat | weight | value")
    flat_amount = serializers.IntegerField(default=0)
    bands = BandSerializer(many=True, required=False, default=list)
    free_over_amount = serializers.IntegerField(required=False, allow_null=True, default=None)
    handling_days = serializers.IntegerField(default=1)
    transit_days_min = serializers.IntegerField(default=1)
    transit_days_max = serializers.IntegerField(default=3)


class ZoneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    countries = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list,
                                      help_text="ISO 3166-1 alpha-2 codes.")
    regions = serializers.ListField(child=serializers.CharField(max_length=8), required=False, default=list,
                                    help_text="ISO 3166-2 codes (US-CA) of listed countries: only these regions.")
    rest_of_world = serializers.BooleanField(default=False)
    methods = MethodSerializer(many=True, allow_empty=True)


class BandOutput(serializers.ModelSerializer):
    class Meta:
        model = ShippingRateBand
        fields = ["lower", "upper", "amount"]


class MethodOutput(serializers.ModelSerializer):
    bands = BandOutput(many=True)

    class Meta:
        model = ShippingMethod
        fields = ["id", "name", "kind", "rate_kind", "flat_amount", "bands", "free_over_amount",
                  "handling_days", "transit_days_min", "transit_days_max"]


class ZoneOutput(serializers.ModelSerializer):
    methods = MethodOutput(many=True)

    class Meta:
        model = ShippingZone
        fields = ["id", "name", "countries", "regions", "rest_of_world", "methods"]


def zone_input(data: dict[str, Any]) -> services.ZoneInput:
    return services.ZoneInput(
        name=data["name"], countries=tuple(c.strip().upper() for c in data["countries"]),
        regions=tuple(r.strip().upper() for r in data["regions"]), rest_of_world=data["rest_of_world"],
        methods=tuple(
            services.MethodInput(
                name=m["name"], kind=m["kind"], rate_kind=m["rate_kind"], flat_amount=m["flat_amount"],
                bands=tuple(services.BandInput(b["lower"], b["upper"], b["amount"]) for b in m["bands"]),
                free_over_amount=m["free_over_amount"], handling_days=m["handling_days"],
                transit_days_min=m["transit_days_min"], transit_days_max=m["transit_days_max"],
            )
            for m in data["methods"]
        ),
    )


class _ReadsForStaffWritesForManagers(APIView):
    def get_permissions(self) -> list[BasePermission]:
        return [IsVendorStaff() if self.request.method in ("GET", "HEAD", "OPTIONS") else IsVendorManager()]


class ShippingZoneListApi(_ReadsForStaffWritesForManagers):
    @extend_schema(tags=["vendor shipping"], summary="This vendor's shipping zones", responses=ZoneOutput(many=True))
    def get(self, request: Request) -> Response:
        # Every list the API answers with is a page (ADR 0043; the schema declares it so).
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.shipping_zones_list(), request, view=self)
        return paginator.get_paginated_response(ZoneOutput(page, many=True).data)

    @extend_schema(tags=["vendor shipping"], summary="Add a zone with its methods and rates",
                   request=ZoneSerializer, responses={201: ZoneOutput})
    def post(self, request: Request) -> Response:
        data = ZoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        zone = services.shipping_zone_create(data=zone_input(data.validated_data), actor=request.user)
        return Response(ZoneOutput(selectors.shipping_zone_get(zone_id=zone.pk)).data, status=status.HTTP_201_CREATED)


class ShippingZoneDetailApi(_ReadsForStaffWritesForManagers):
    @extend_schema(tags=["vendor shipping"], summary="One zone with its methods and rates", responses=ZoneOutput)
    def get(self, request: Request, zone_id: int) -> Response:
        return Response(ZoneOutput(selectors.shipping_zone_get(zone_id=zone_id)).data)

    @extend_schema(tags=["vendor shipping"], summary="Replace a zone, its methods and rates included",
                   request=ZoneSerializer, responses=ZoneOutput)
    def put(self, request: Request, zone_id: int) -> Response:
        selectors.shipping_zone_get(zone_id=zone_id)  # an unknown zone is a 404 before any validation
        data = ZoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.shipping_zone_update(zone_id=zone_id, data=zone_input(data.validated_data), actor=request.user)
        return Response(ZoneOutput(selectors.shipping_zone_get(zone_id=zone_id)).data)

    @extend_schema(tags=["vendor shipping"], summary="Delete a zone", responses={204: None})
    def delete(self, request: Request, zone_id: int) -> Response:
        services.shipping_zone_delete(zone_id=zone_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
