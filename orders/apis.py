"""Buyer API on the platform host: cart, checkout, orders (`/api/v1/...`, authenticated buyers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import Pagination, error_body
from common.ratelimit import RateLimitThrottle, client_address, rate_limit_hit
from orders import selectors, services
from orders.addresses import address_validate
from orders.currency import currency_check
from orders.discounts import discount_code_apply, discount_code_remove
from orders.errors import CartEmpty, CartError
from orders.models import Cart, Order, OrderLine, SubOrder
from orders.services import CartReview, PaymentDetails
from orders.shipping import ShippingOption
from payments.errors import GatewayError, GatewayUnavailable

CART_TOKEN_HEADER = OpenApiParameter(
    "X-Cart-Token", str, OpenApiParameter.HEADER,
    description="An anonymous (guest) cart's token, from `POST /api/v1/cart/` or the first added item. "
                "Signed in, a request carrying it merges that cart into the account's (within stock).",
)
ORDER_TOKEN_HEADER = OpenApiParameter(
    "X-Order-Token", str, OpenApiParameter.HEADER,
    description="A guest's access to one order (`order_token` of the checkout, or the confirmation "
                "email's link); not needed when signed in as the buyer.",
)


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
    email = serializers.EmailField(required=False, help_text="Guests only (with `X-Cart-Token`): where the "
                                   "confirmation and the order's link go. Ignored when signed in.")
    address = AddressSerializer()
    shipping = serializers.DictField(child=serializers.IntegerField(min_value=1), required=False, default=dict,
                                     help_text="{vendor_id: rate_id of one of its `shipping_options`}; the cheapest when left out.")
    checkout_token = serializers.CharField(max_length=64, required=False,
                                           help_text="Idempotency key: the same token never makes a second order.")
    vat_id = serializers.CharField(max_length=20, required=False, default="", allow_blank=True,
                                   help_text="A business buyer's EU VAT ID of the delivery country: checked "
                                             "(format and registry); cross-border sales are then reverse-charged.")
    currency = serializers.CharField(max_length=3, required=False, default="", allow_blank=True,
                                     help_text="The currency to pay in (ISO 4217, e.g. EUR); items of vendors in "
                                               "other currencies convert at the day's reference rate, kept on the "
                                               "order. Default: the first item's currency.")


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
    discount_amount = serializers.IntegerField(help_text="Promotions taken off the line.")
    discounts = serializers.ListField(child=serializers.DictField())
    tax_amount = serializers.IntegerField()
    notices = serializers.ListField(child=serializers.DictField())


class CartOutput(serializers.Serializer):
    currency = serializers.CharField(allow_null=True)
    tax_inclusive = serializers.BooleanField(allow_null=True)
    vendors = serializers.ListField(child=serializers.DictField())
    subtotal_amount = serializers.IntegerField()
    shipping_amount = serializers.IntegerField()
    tax_amount = serializers.IntegerField()
    discount_amount = serializers.IntegerField()
    code = serializers.DictField(allow_null=True, help_text="The discount code on the cart: what it took "
                                 "off, or why it takes nothing now.")
    total_amount = serializers.IntegerField()
    can_checkout = serializers.BooleanField()
    exchange_rates = serializers.ListField(child=serializers.DictField())
    exchange_rate_error = serializers.DictField(allow_null=True)


def _option_payload(option: ShippingOption) -> dict[str, Any]:
    return {"rate_id": option.rate_id, "name": option.name, "amount": option.amount, "kind": option.kind,
            "delivery_earliest": option.earliest.isoformat() if option.earliest else None,
            "delivery_latest": option.latest.isoformat() if option.latest else None}


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
            "shipping_options": [_option_payload(o) for o in group.options],
            "shipping_problem": entry["shipping_problem"] or None,
            "total_amount": group.total,
            "items": [{
                "id": row["item"].pk, "vendor_id": row["item"].vendor_id, "variant_id": row["item"].variant_id,
                "sku": row["item"].sku, "name": row["line"].source.name, "quantity": row["item"].quantity,
                "unit_price_amount": row["line"].source.unit_price,
                "added_price_amount": row["item"].unit_price_amount, "added_currency": row["item"].currency,
                "line_amount": row["line"].line_amount, "tax_amount": row["line"].tax_amount,
                "discount_amount": row["line"].discount_amount,
                "discounts": [{"label": d.label, "amount": d.amount, "funded_by": d.funded_by}
                              for d in row["line"].discounts],
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
        "discount_amount": priced.discount if priced else 0,
        "code": ({"code": review.code.code, "amount": review.code.amount,
                  "problem": {"code": review.code.problem_code, "message": review.code.problem}
                  if review.code.problem else None} if review.code else None),
        "total_amount": priced.total if priced else 0,
        "can_checkout": review.can_checkout,
        # The reference rates the vendors' prices were converted with (kept on the order at checkout).
        "exchange_rates": [{"source_currency": fx.source_currency, "target_currency": fx.target_currency,
                            "rate": str(fx.rate), "rate_date": fx.rate_date.isoformat(), "source": fx.rate_source}
                           for fx in review.rates.values()],
        "exchange_rate_error": ({"code": review.fx_error.code, "message": review.fx_error.message}
                                if review.fx_error else None),
    }


class OrderLineOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "sku", "name", "quantity", "unit_price_amount", "line_amount", "tax_rate_bp",
                  "tax_amount", "discount_amount", "discount_label", "shipped_quantity", "cancelled_quantity",
                  "refunded_amount"]


class SubOrderOutput(serializers.ModelSerializer):
    vendor_name = serializers.CharField(source="vendor.name")
    lines = OrderLineOutput(many=True)

    class Meta:
        model = SubOrder
        fields = ["id", "vendor_id", "vendor_name", "status", "shipping_name", "shipping_amount", "shipping_kind",
                  "delivery_days_min", "delivery_days_max", "subtotal_amount", "discount_amount", "tax_amount",
                  "total_amount", "refunded_amount", "tracking", "lines"]


class OrderOutput(serializers.ModelSerializer):
    number = serializers.CharField()
    sub_orders = SubOrderOutput(many=True)
    reserved_until = serializers.SerializerMethodField()
    last_payment_error = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "number", "status", "currency", "tax_display", "subtotal_amount",
                  "discount_amount", "shipping_amount", "tax_amount", "total_amount", "created_at", "paid_at",
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


class CartTokenOutput(CartOutput):
    cart_token = serializers.CharField(allow_null=True, help_text="Send it back as `X-Cart-Token` (guests).")


class EphemeralKeyOutput(serializers.Serializer):
    id = serializers.CharField()
    secret = serializers.CharField(help_text="`customerEphemeralKeySecret` of the mobile PaymentSheet.")
    expires = serializers.IntegerField(help_text="Unix time; ask `GET .../payment/` again for a new one.")


class PaymentOutput(serializers.Serializer):
    payment_intent_id = serializers.CharField()
    client_secret = serializers.CharField(help_text="Confirm the PaymentIntent with it client-side "
                                          "(Stripe.js `confirmPayment`, PaymentSheet); never store it.")
    status = serializers.CharField(help_text="The PaymentIntent's status now; the order becomes `paid` "
                                   "from Stripe's signed webhook, not from the client.")
    amount = serializers.IntegerField(help_text="Minor units, decided by the server.")
    currency = serializers.CharField()
    publishable_key = serializers.CharField()
    customer_id = serializers.CharField(help_text="The buyer's Stripe Customer (saved cards).")
    ephemeral_key = EphemeralKeyOutput(allow_null=True)


def payment_payload(details: PaymentDetails) -> dict[str, Any]:
    key = details.ephemeral_key
    return {
        "payment_intent_id": details.intent.id, "client_secret": details.intent.client_secret or "",
        "status": details.intent.status, "amount": details.intent.amount, "currency": details.intent.currency,
        "publishable_key": details.publishable_key, "customer_id": details.customer_id,
        "ephemeral_key": {"id": key.id, "secret": key.secret, "expires": key.expires} if key else None,
    }


class CheckoutOutput(serializers.Serializer):
    order = OrderOutput()
    payment = PaymentOutput(allow_null=True, help_text="Null when the order needs no payment now or the "
                            "provider refused to prepare it (see `payment_error`).")
    payment_error = serializers.DictField(allow_null=True, help_text="Set when the payment provider refused "
                                          "to prepare the payment (an unreachable provider is a 503): "
                                          "retry with the same checkout key, or "
                                          "`GET /api/v1/orders/{id}/payment/`.")
    order_token = serializers.CharField(allow_null=True, help_text="Guests: send it as `X-Order-Token` "
                                        "to read this order and its payment again.")


class GuestClaimInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, write_only=True)


def _cart_token(request: Request) -> str:
    return request.headers.get("X-Cart-Token", "").strip()[:64]


def _request_cart(request: Request, *, create: bool = False) -> Cart | None:
    """The signed-in buyer's cart (merging a guest cart sent along) or the guest cart of the token."""
    token = _cart_token(request)
    if request.user.is_authenticated:
        if token:
            services.cart_merge(token=token, user=request.user)
        return services.cart_for(user=request.user, create=create)
    if not token:
        return None
    return services.cart_for(token=token)


def _rate_limit(request: Request, scope: str) -> None:
    wait = rate_limit_hit(request._request, scope, user=request.user)
    if wait is not None:
        raise Throttled(wait=wait)


def _order_for_request(request: Request, order_id: int) -> Order:
    """The buyer's own order, or a guest's by its order token (never someone else's)."""
    token = request.headers.get("X-Order-Token", "")
    if token:
        order = services.order_for_link(token=token)
        if order.pk == order_id:
            return selectors.order_for_buyer(user=order.buyer, order_id=order_id)
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    return selectors.order_for_buyer(user=request.user, order_id=order_id)


def _currency(value: str | None) -> str | None:
    """A requested currency, checked (400 `currency_unsupported`), or None for the default."""
    return currency_check(value) if value else None


class CartApi(APIView):
    permission_classes = [AllowAny]  # guests use their cart token

    @extend_schema(tags=["cart"], summary="The buyer's (or the guest's) cart, priced now", responses=CartOutput,
                   parameters=[OpenApiParameter("country", str), OpenApiParameter("region", str),
                               OpenApiParameter("currency", str, description="ISO 4217: price the cart in it"),
                               CART_TOKEN_HEADER])
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated and not _cart_token(request):
            raise NotAuthenticated()
        cart = _request_cart(request)
        review = services.cart_review(cart=cart, country=request.query_params.get("country", "DE").upper()[:2],
                                      region=request.query_params.get("region", ""),
                                      currency=_currency(request.query_params.get("currency")))
        return Response(cart_payload(review))

    @extend_schema(tags=["cart"], summary="Start a guest cart (its token), or the signed-in buyer's cart",
                   request=None, responses={201: CartTokenOutput, 200: CartTokenOutput})
    def post(self, request: Request) -> Response:
        if request.user.is_authenticated:
            cart = _request_cart(request, create=True)
            assert cart is not None
            return Response({**cart_payload(services.cart_review(cart=cart, country="DE")), "cart_token": None})
        _rate_limit(request, "guest_cart")
        cart = services.cart_for(create=True)
        assert cart is not None
        body = {**cart_payload(services.cart_review(cart=cart, country="DE")), "cart_token": cart.token}
        return Response(body, status=status.HTTP_201_CREATED, headers={"X-Cart-Token": cart.token})


class CartItemsApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(tags=["cart"], summary="Add a variant to the cart (a guest without a token gets one)",
                   request=CartItemInputSerializer, responses={201: CartTokenOutput},
                   parameters=[CART_TOKEN_HEADER])
    def post(self, request: Request) -> Response:
        data = CartItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = _request_cart(request, create=True)
        if cart is None:
            if _cart_token(request):
                raise CartError("This cart token is unknown or was already used.", code="cart_token_invalid")
            _rate_limit(request, "guest_cart")
            cart = services.cart_for(create=True)
            assert cart is not None
        services.cart_item_add(cart=cart, **data.validated_data)
        token = None if request.user.is_authenticated else cart.token
        body = {**cart_payload(services.cart_review(cart=cart, country="DE")), "cart_token": token}
        return Response(body, status=status.HTTP_201_CREATED, headers={"X-Cart-Token": token} if token else None)


class CartCodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, allow_blank=True)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)


class CartCodeApi(APIView):
    """The cart's discount code (docs/adr/0094): rate-limited per account and address."""

    permission_classes = [AllowAny]

    def _cart(self, request: Request) -> Cart:
        cart = _request_cart(request)
        if cart is None:
            if not request.user.is_authenticated and not _cart_token(request):
                raise NotAuthenticated()
            raise CartError(_("Add items to your cart before entering a code."), code="cart_empty",
                            fields={"code": [_("Add items to your cart before entering a code.")]})
        return cart

    @extend_schema(tags=["cart"], summary="Apply a discount code to the cart (replaces its code)",
                   request=CartCodeInputSerializer, responses=CartOutput, parameters=[CART_TOKEN_HEADER])
    def post(self, request: Request) -> Response:
        data = CartCodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _rate_limit(request, "coupon")
        cart = self._cart(request)
        currency = _currency(data.validated_data.get("currency"))
        discount_code_apply(cart=cart, code=data.validated_data["code"], currency=currency)
        return Response(cart_payload(services.cart_review(cart=cart, country="DE", currency=currency)))

    @extend_schema(tags=["cart"], summary="Remove the cart's discount code", request=None, responses={200: CartOutput},
                   parameters=[CART_TOKEN_HEADER])
    def delete(self, request: Request) -> Response:
        cart = self._cart(request)
        discount_code_remove(cart=cart)
        return Response(cart_payload(services.cart_review(cart=cart, country="DE")))


class CartItemApi(APIView):
    patch_is_partial = False  # the body is the new quantity: `quantity` is required (schema too)
    permission_classes = [AllowAny]

    def _cart(self, request: Request) -> Cart:
        cart = _request_cart(request, create=True)
        if cart is None:
            raise CartEmpty("Your cart is empty.")
        return cart

    @extend_schema(tags=["cart"], summary="Change a cart item's quantity (0 removes it)",
                   request=CartItemUpdateSerializer, responses=CartOutput, parameters=[CART_TOKEN_HEADER])
    def patch(self, request: Request, item_id: int) -> Response:
        data = CartItemUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = self._cart(request)
        services.cart_item_update(cart=cart, item_id=item_id, quantity=data.validated_data["quantity"])
        return Response(cart_payload(services.cart_review(cart=cart, country="DE")))

    @extend_schema(tags=["cart"], summary="Remove a cart item", responses={204: None}, parameters=[CART_TOKEN_HEADER])
    def delete(self, request: Request, item_id: int) -> Response:
        services.cart_item_remove(cart=self._cart(request), item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckoutApi(APIView):
    permission_classes = [AllowAny]  # guests: `X-Cart-Token` and an email
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "checkout"  # shared with the checkout page's counters

    @extend_schema(
        tags=["checkout"], summary="Create the order and its PaymentIntent from the cart",
        description="Returns what a client needs to pay the order itself: the PaymentIntent's "
                    "`client_secret`, the publishable key, and the buyer's Stripe Customer with an "
                    "ephemeral key (mobile PaymentSheet). The server decides every amount. "
                    "Idempotent by `checkout_token` (or the `Idempotency-Key` header): the same "
                    "token returns the same order and PaymentIntent (200) instead of a second one. "
                    "Guests send `X-Cart-Token` and `email`; an email of an existing account is "
                    "refused with `account_exists` (409): sign in instead. When the payment "
                    "provider cannot be reached: 503 `gateway_unavailable` with `Retry-After`, the "
                    "error and the kept `order` (its items stay reserved); send the same checkout "
                    "again to get its payment.",
        request=CheckoutInputSerializer, responses={
            201: CheckoutOutput, 200: CheckoutOutput,
            503: OpenApiResponse(description="The payment provider is unreachable; retry after "
                                             "`Retry-After` seconds with the same checkout key.")},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER), CART_TOKEN_HEADER],
    )
    def post(self, request: Request) -> Response:
        data = CheckoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = data.validated_data.get("checkout_token") or request.headers.get("Idempotency-Key", "")
        address = address_validate(data.validated_data["address"])
        shipping = {int(k): v for k, v in data.validated_data["shipping"].items() if str(k).isdigit()}
        if request.user.is_authenticated:
            _request_cart(request)  # a guest cart sent along joins the account's cart first
            buyer = request.user
            known = Order.objects.filter(buyer_id=buyer.pk, checkout_token=token).exists() if token else False
            order = services.checkout_submit(user=buyer, address=address, shipping_choice=shipping,
                                             checkout_token=token, client_ip=client_address(request),
                                             vat_id=data.validated_data["vat_id"],
                                             currency=_currency(data.validated_data["currency"]))
        else:
            email = data.validated_data.get("email")
            if not email or not _cart_token(request):
                raise CartError("Sign in, or check out as a guest with an email and your cart token.",
                                code="guest_details_missing", fields={"email": ["Required for a guest."]})
            known = bool(token) and Order.objects.filter(
                buyer__email=str(email).lower(), buyer__is_guest=True, checkout_token=token).exists()
            order = services.guest_checkout_submit(email=email, cart_token=_cart_token(request), address=address,
                                                   shipping_choice=shipping, checkout_token=token,
                                                   client_ip=client_address(request),
                                                   vat_id=data.validated_data["vat_id"],
                                                   currency=_currency(data.validated_data["currency"]))
            buyer = order.buyer
        payment = None
        payment_error = None
        unavailable: GatewayUnavailable | None = None
        if order.status == Order.Status.PENDING_PAYMENT:
            try:
                payment = payment_payload(services.order_payment_details(order=order))
            except GatewayUnavailable as exc:
                unavailable = exc
            except GatewayError as exc:
                # The order and its reservation stand; the same checkout key retries the payment.
                payment_error = {"code": exc.code, "message": exc.message}
        order = selectors.order_for_buyer(user=buyer, order_id=order.pk)
        order_token = None if request.user.is_authenticated else services.order_link_token(order=order)
        if unavailable is not None:
            return _checkout_unavailable(unavailable, order, order_token)
        body = {"order": OrderOutput(order).data, "payment": payment, "payment_error": payment_error,
                "order_token": order_token}
        return Response(body, status=status.HTTP_200_OK if known else status.HTTP_201_CREATED)


def _checkout_unavailable(exc: GatewayUnavailable, order: Order, order_token: str | None) -> Response:
    """503 with Retry-After: the provider is down, so the client must try again; the order and its
    reservation stand, and the same checkout key brings them back with the payment (200)."""
    message = ("The payment provider could not be reached. Your order is kept and its items are reserved: "
               "send the same checkout again (same checkout_token) in a few seconds.")
    body = {**error_body(exc.code, message), "order": OrderOutput(order).data, "order_token": order_token}
    return Response(body, status=exc.status_code, headers={"Retry-After": str(exc.retry_after)})


class OrderPaymentApi(APIView):
    permission_classes = [AllowAny]  # a guest's order opens with its order token

    @extend_schema(
        tags=["checkout"], summary="The payment details of an order awaiting payment, again",
        description="For a client that lost them (app restart, closed tab): the same PaymentIntent "
                    "and `client_secret`, and a fresh ephemeral key. 409 `order_state_conflict` "
                    "once the order is paid, cancelled or expired.",
        responses={200: PaymentOutput, 409: OpenApiResponse(description="The order awaits no payment.")},
        parameters=[ORDER_TOKEN_HEADER],
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = _order_for_request(request, order_id)
        return Response(payment_payload(services.order_payment_details(order=order)))


class GuestClaimApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "guest_claim"

    @extend_schema(
        tags=["orders"], summary="Create an account from a guest order (set a password)",
        description="The guest buyer of the order becomes an account with this password and keeps "
                    "its orders. `X-Order-Token` must be the token of the confirmation email's link "
                    "(the checkout's `order_token` cannot claim: 403 `claim_needs_emailed_link`). "
                    "409 `account_exists` when the order already belongs to an account: sign in instead.",
        request=GuestClaimInputSerializer, responses={200: OrderSummaryOutput}, parameters=[ORDER_TOKEN_HEADER],
    )
    def post(self, request: Request, order_id: int) -> Response:
        data = GuestClaimInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order_for_request(request, order_id)
        services.guest_account_claim(token=request.headers.get("X-Order-Token", ""),
                                     password=data.validated_data["password"])
        return Response(OrderSummaryOutput(order).data)


class OrderListApi(APIView):
    @extend_schema(tags=["orders"], summary="The buyer's orders, newest first", responses=OrderSummaryOutput(many=True))
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.orders_for_buyer(user=request.user), request, view=self)
        return paginator.get_paginated_response(OrderSummaryOutput(page, many=True).data)


class OrderDetailApi(APIView):
    permission_classes = [AllowAny]  # a guest's order opens with its order token

    @extend_schema(tags=["orders"], summary="One of the buyer's orders with each vendor's part",
                   responses=OrderOutput, parameters=[ORDER_TOKEN_HEADER])
    def get(self, request: Request, order_id: int) -> Response:
        return Response(OrderOutput(_order_for_request(request, order_id)).data)


class SubOrderCancelApi(APIView):
    @extend_schema(tags=["orders"], request=None, responses=OrderOutput,
                   summary="Cancel one vendor's part of an order before it ships (refunded in full)")
    def post(self, request: Request, order_id: int, sub_order_id: int) -> Response:
        services.sub_order_cancel_by_buyer(user=request.user, order_id=order_id, sub_order_id=sub_order_id)
        return Response(OrderOutput(selectors.order_for_buyer(user=request.user, order_id=order_id)).data)
