"""Buyer API routes (platform host, under /api/v1/)."""

from django.urls import path

from orders import apis

urlpatterns = [
    path("cart/", apis.CartApi.as_view(), name="api-cart"),
    path("cart/items/", apis.CartItemsApi.as_view(), name="api-cart-items"),
    path("cart/code/", apis.CartCodeApi.as_view(), name="api-cart-code"),
    path("cart/items/<int:item_id>/", apis.CartItemApi.as_view(), name="api-cart-item"),
    path("checkout/", apis.CheckoutApi.as_view(), name="api-checkout"),
    path("orders/", apis.OrderListApi.as_view(), name="api-orders"),
    path("orders/<int:order_id>/", apis.OrderDetailApi.as_view(), name="api-order-detail"),
    path("orders/<int:order_id>/payment/", apis.OrderPaymentApi.as_view(), name="api-order-payment"),
    path("orders/<int:order_id>/claim/", apis.GuestClaimApi.as_view(), name="api-order-claim"),
    path("orders/<int:order_id>/parts/<int:sub_order_id>/cancel/", apis.SubOrderCancelApi.as_view(),
         name="api-sub-order-cancel"),
]
