"""Ops API of payouts: commission rules and the commission preview (platform admins only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPlatformAdmin
from common.api import Pagination
from payouts import commissions, selectors, services
from payouts.errors import CommissionRuleNotFound
from payouts.models import CommissionRule


class CommissionRuleSerializer(serializers.ModelSerializer):
    vendor_id = serializers.IntegerField(allow_null=True, required=False)
    rate_bp = serializers.IntegerField(help_text="Basis points: 1000 = 10%.")
    fixed_amount = serializers.IntegerField(required=False, help_text="Minor units.")
    min_per_line = serializers.IntegerField(allow_null=True, required=False)
    max_per_line = serializers.IntegerField(allow_null=True, required=False)
    category_id = serializers.IntegerField(allow_null=True, required=False, min_value=1)

    class Meta:
        model = CommissionRule
        fields = [
            "id", "scope", "vendor_id", "category_id", "category_path", "currency", "rate_bp",
            "fixed_amount", "fixed_per", "min_per_line", "max_per_line",
            "shipping_commissionable", "valid_from", "valid_to", "note", "created_at",
        ]
        read_only_fields = ["id", "created_at"]


def _rule(rule_id: int) -> CommissionRule:
    rule = CommissionRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise CommissionRuleNotFound(_("No such commission rule."))
    return rule


class CommissionRuleListApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses=CommissionRuleSerializer(many=True),
                   operation_id="ops_commission_rules_list")
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        rules = selectors.commission_rules_list(
            scope=request.query_params.get("scope") or None,
            currency=request.query_params.get("currency") or None,
        )
        page = paginator.paginate_queryset(rules, request, view=self)
        return paginator.get_paginated_response(CommissionRuleSerializer(page, many=True).data)

    @extend_schema(request=CommissionRuleSerializer, responses={201: CommissionRuleSerializer},
                   operation_id="ops_commission_rules_create")
    def post(self, request: Request) -> Response:
        serializer = CommissionRuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.commission_rule_create(created_by=request.user,
                                               **serializer.validated_data)
        return Response(CommissionRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class CommissionRuleDetailApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses=CommissionRuleSerializer, operation_id="ops_commission_rules_get")
    def get(self, request: Request, rule_id: int) -> Response:
        return Response(CommissionRuleSerializer(_rule(rule_id)).data)

    @extend_schema(request=CommissionRuleSerializer, responses=CommissionRuleSerializer,
                   operation_id="ops_commission_rules_update")
    def patch(self, request: Request, rule_id: int) -> Response:
        rule = _rule(rule_id)
        serializer = CommissionRuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.commission_rule_update(rule=rule, **serializer.validated_data)
        return Response(CommissionRuleSerializer(rule).data)


class CommissionPreviewApi(APIView):
    """What commission would a line pay? Same resolution as checkout."""

    permission_classes = [IsPlatformAdmin]

    class InputSerializer(serializers.Serializer):
        vendor_id = serializers.IntegerField(required=False, allow_null=True, default=None)
        category_id = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                               default=None)
        category_ancestor_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, default=list,
            help_text="Nearest ancestor first.",
        )
        unit_amount = serializers.IntegerField(min_value=0, help_text="Minor units.")
        quantity = serializers.IntegerField(min_value=1, max_value=100000, default=1)
        shipping_amount = serializers.IntegerField(min_value=0, default=0)
        currency = serializers.CharField(max_length=3)
        at = serializers.DateTimeField(required=False, allow_null=True)

    class OutputSerializer(serializers.Serializer):
        rule_id = serializers.IntegerField()
        scope = serializers.CharField()
        amount = serializers.IntegerField()
        currency = serializers.CharField()
        base_amount = serializers.IntegerField()
        rate_bp = serializers.IntegerField()
        order_fixed_amount = serializers.IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer,
                   operation_id="ops_commission_preview")
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        data["currency"] = data["currency"].upper()
        quote = commissions.commission_for_line(**data)
        return Response(self.OutputSerializer(quote).data)
