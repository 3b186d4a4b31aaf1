"""Buyer pages on the platform host."""

from django.urls import path

from orders import views

urlpatterns = [
    path("cart/", views.cart_page, name="cart"),
    path("currency/", views.currency_set, name="currency-set"),
    path("cart/add/", views.cart_add, name="cart-add"),
    path("cart/add/from-store/", views.cart_handoff, name="cart-handoff"),
    path("cart/items/<int:item_id>/", views.cart_item_update, name="cart-item-update"),
    path("cart/code/", views.cart_code, name="cart-code"),
    path("cart/prices/accept/", views.cart_prices_accept, name="cart-prices-accept"),
    path("checkout/", views.checkout_page, name="checkout"),
    path("checkout/guest/", views.checkout_guest, name="checkout-guest"),
    path("checkout/return/<int:order_id>/", views.checkout_return, name="checkout-return"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<int:order_id>/", views.order_detail, name="order-detail"),
    path("orders/<int:order_id>/status/", views.order_status, name="order-status"),
    path("orders/<int:order_id>/recommendations/", views.order_recommendations, name="order-recommendations"),
    path("orders/<int:order_id>/pay/", views.order_pay, name="order-pay"),
    path("orders/<int:order_id>/account/", views.guest_account_create, name="guest-account-create"),
    path("orders/track/<str:token>/", views.order_track, name="order-track"),
    path("orders/<int:order_id>/parts/<int:sub_order_id>/cancel/", views.sub_order_cancel, name="sub-order-cancel"),
]
