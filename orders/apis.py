"""Buyer API on the platform host: cart, checkout, orders (`/api/v1/...`, authenticated buyers)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import Pagination
from common.hosts import platform_url
from common.ratelimit import RateLimitThrottle, client_address
from orders import selectors, services
from orders.addresses import address_validate
from orders.models import Order, OrderLine, SubOrder
from orders.services import CartReview
from payments.errors import GatewayError


class CartItemInputSerializer(serializers.Serializer):
    vendor_id = serializers.IntegerField(min_value=1)
    variant_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=999, default=1)


class CartItemUpdateSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=999)


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20)
    country = serializers.CharField(max_length=2)


class CheckoutInputSerializer(serializers.Serializer):
    address = AddressSerializer()
    shipping = serializers.DictField(child=serializers.IntegerField(min_value=1), required=False, default=dict,
                                     help_text="{vendor_id: shipping_rate_id}; the cheapest option when left out.")
    checkout_token = serializers.CharField(max_length=64, required=False,
                                           help_text="Idempotency key: the same token never makes a second order.")


class CartLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    vendor_id = serializers.IntegerField()
    variant_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price_amount = serializers.IntegerField(help_text="Current price.")
    added_price_amount = serializers.IntegerField(help_text="Price when added.")
    line_amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField()
    notices = serializers.ListField(child=serializers.DictField())


class CartOutput(serializers.Serializer):
    currency = serializers.CharField(allow_null=True)
    tax_inclusive = serializers.BooleanField(allow_null=True)
    vendors = serializers.ListField(child=serializers.DictField())
    subtotal_amount = serializers.IntegerField()
    shipping_amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField()
    total_amount = serializers.IntegerField()
    can_checkout = serializers.BooleanField()


def cart_payload(review: CartReview) -> dict[str, Any]:
    priced = review.priced
    vendors = []
    for entry in review.vendor_groups:
        group = entry["group"]
        vendors.append({
            "vendor_id": entry["vendor"].pk, "vendor_name": entry["vendor"].name,
            "subtotal_amount": group.subtotal, "tax_amount": group.tax,
            "shipping": {"rate_id": group.shipping.rate_id, "name": group.shipping.name,
                         "amount": group.shipping.amount} if group.shipping else None,
            "shipping_options": [{"rate_id": o.rate_id, "name": o.name, "amount": o.amount} for o in group.options],
            "total_amount": group.total,
            "items": [{
                "id": row["item"].pk, "vendor_id": row["item"].vendor_id, "variant_id": row["item"].variant_id,
                "sku": row["item"].sku, "name": row["line"].source.name, "quantity": row["item"].quantity,
                "unit_price_amount": row["line"].source.unit_price,
                "added_price_amount": row["item"].unit_price_amount,
                "line_amount": row["line"].line_amount, "tax_amount": row["line"].tax_amount,
                "notices": [{"code": n.code, "message": n.message} for n in row["notices"]],
            } for row in entry["rows"]],
        })
    return {
        "currency": priced.currency if priced else None,
        "tax_inclusive": priced.inclusive if priced else None,
        "vendors": vendors,
        "subtotal_amount": priced.subtotal if priced else 0,
        "shipping_amount": priced.shipping if priced else 0,
        "tax_amount": priced.tax if priced else 0,
        "total_amount": priced.total if priced else 0,
        "can_checkout": review.can_checkout,
    }


class OrderLineOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "sku", "name", "quantity", "unit_price_amount", "line_amount", "tax_rate_bp",
                  "tax_amount", "shipped_quantity", "cancelled_quantity", "refunded_amount"]


class SubOrderOutput(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name")
    lines = OrderLineOutput(many=True)

    class Meta:
        model = SubOrder
        fields = ["id", "vendor_id", "vendor_name", "status", "shipping_name", "shipping_amount",
                  "subtotal_amount", "tax_amount", "total_amount", "refunded_amount", "tracking", "lines"]


class OrderOutput(serializers.ModelSerializer):
    number = serializers.CharField()
    sub_orders = SubOrderOutput(many=True)
    reserved_until = serializers.SerializerMethodField()
    last_payment_error = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "number", "status", "currency", "tax_display", "subtotal_amount",
                  "shipping_amount", "tax_amount", "total_amount", "created_at", "paid_at",
                  "failed_payment_attempts", "last_payment_error", "reserved_until", "sub_orders"]

    def get_reserved_until(self, order: Order) -> str | None:
        """Until when an unpaid order holds its stock (and its payment can be retried)."""
        if order.status != Order.Status.PENDING_PAYMENT:
            return None
        return serializers.DateTimeField().to_representation(order.reserved_until)

    def get_last_payment_error(self, order: Order) -> dict[str, str] | None:
        if not order.failed_payment_attempts:
            return None
        return {"code": order.failure_code, "message": order.failure_reason}


class OrderSummaryOutput(serializers.ModelSerializer):
    number = serializers.CharField()

    class Meta:
        model = Order
        fields = ["id", "number", "status", "currency", "total_amount", "created_at", "paid_at"]


class CheckoutOutput(serializers.Serializer):
    order = OrderOutput()
    payment_url = serializers.CharField(allow_null=True)
    payment_intent_id = serializers.CharField(allow_blank=True)
    payment_error = serializers.DictField(allow_null=True, help_text="Set when the payment provider was "
                                          "unreachable: retry with the same checkout key.")


class CartApi(APIView):
    @extend_schema(tags=["cart"], summary="The buyer's cart, priced now", responses=CartOutput,
                   parameters=[OpenApiParameter("country", str), OpenApiParameter("region", str)])
    def get(self, request: Request) -> Response:
        cart = services.cart_for(user=request.user)
        review = services.cart_review(cart=cart, country=request.query_params.get("country", "DE").upper()[:2],
                                      region=request.query_params.get("region", ""))
        return Response(cart_payload(review))


class CartItemsApi(APIView):
    @extend_schema(tags=["cart"], summary="Add a variant to the cart", request=CartItemInputSerializer,
                   responses={201: CartOutput})
    def post(self, request: Request) -> Response:
        data = CartItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = services.cart_for(user=request.user, create=True)
        assert cart is not None
        services.cart_item_add(cart=cart, **data.validated_data)
        return Response(cart_payload(services.cart_review(cart=cart, country="DE")), status=status.HTTP_201_CREATED)


class CartItemApi(APIView):
    patch_is_partial = False  # the body is the new quantity: `quantity` is required (schema too)

    @extend_schema(tags=["cart"], summary="Change a cart item's quantity (0 removes it)",
                   request=CartItemUpdateSerializer, responses=CartOutput)
    def patch(self, request: Request, item_id: int) -> Response:
        data = CartItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = services.cart_for(user=request.user, create=True)
        assert cart is not None
        services.cart_item_update(cart=cart, item_id=item_id, quantity=data.validated_data["quantity"])
        return Response(cart_payload(services.cart_review(cart=cart, country="DE")))

    @extend_schema(tags=["cart"], summary="Remove a cart item", responses={204: None})
    def delete(self, request: Request, item_id: int) -> Response:
        cart = services.cart_for(user=request.user, create=True)
        assert cart is not None
        services.cart_item_remove(cart=cart, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckoutApi(APIView):
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "checkout"  # shared with the checkout page's counters

    @extend_schema(
        tags=["checkout"], summary="Create the order and its PaymentIntent from the cart",
        description="Idempotent by `checkout_token` (or the `Idempotency-Key` header): the same "
                    "token returns the same order and PaymentIntent (200) instead of a second one.",
        request=CheckoutInputSerializer, responses={201: CheckoutOutput, 200: CheckoutOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request) -> Response:
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = data.validated_data.get("checkout_token") or request.headers.get("Idempotency-Key", "")
        address = address_validate(data.validated_data["address"])
        shipping = {int(k): v for k, v in data.validated_data["shipping"].items() if str(k).isdigit()}
        known = Order.objects.filter(buyer_id=request.user.pk, checkout_token=token).exists() if token else False
        order = services.checkout_submit(user=request.user, address=address, shipping_choice=shipping,
                                         checkout_token=token, client_ip=client_address(request))
        payment_url = None
        payment_error = None
        if order.status == Order.Status.PENDING_PAYMENT:
            try:
                payment_url = services.order_payment_start(
                    order=order, return_url=platform_url(f"/checkout/return/{order.pk}/", request)
                )
            except GatewayError as exc:
                # The order and its reservation stand; the same checkout key retries the payment.
                payment_error = {"code": exc.code, "message": exc.message}
        order = selectors.order_for_buyer(user=request.user, order_id=order.pk)
        body = {"order": OrderOutput(order).data, "payment_url": payment_url,
                "payment_intent_id": order.payment_intent_id, "payment_error": payment_error}
        return Response(body, status=status.HTTP_200_OK if known else status.HTTP_201_CREATED)


class OrderListApi(APIView):
    @extend_schema(tags=["orders"], summary="The buyer's orders, newest first", responses=OrderSummaryOutput(many=True))
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.orders_for_buyer(user=request.user), request, view=self)
        return paginator.get_paginated_response(OrderSummaryOutput(page, many=True).data)


class OrderDetailApi(APIView):
    @extend_schema(tags=["orders"], summary="One of the buyer's orders with each vendor's part",
                   responses=OrderOutput)
    def get(self, request: Request, order_id: int) -> Response:
        return Response(OrderOutput(selectors.order_for_buyer(user=request.user, order_id=order_id)).data)


class SubOrderCancelApi(APIView):
    @extend_schema(tags=["orders"], request=None, responses=OrderOutput,
                   summary="Cancel one vendor's part of an order before it ships (refunded in full)")
    def post(self, request: Request, order_id: int, sub_order_id: int) -> Response:
        services.sub_order_cancel_by_buyer(user=request.user, order_id=order_id, sub_order_id=sub_order_id)
        return Response(OrderOutput(selectors.order_for_buyer(user=request.user, order_id=order_id)).data)
