"""Buyer pages on the platform host: cart, checkout, payment return, order history and detail."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError
from common.hosts import platform_url
from common.money import format_money_localized
from common.ratelimit import client_address, rate_limit
from common.responses import redirect_after_post
from orders import selectors, services
from orders.addresses import address_validate
from orders.errors import OrderNotFound
from orders.forms import CheckoutForm
from orders.models import Cart, Order, OrderEvent
from orders.signals import SESSION_CART_KEY
from orders.timeline import order_timeline
from payments import gateway
from payments.errors import GatewayError

DEFAULT_COUNTRY = "DE"


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def request_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The logged-in user's cart, or the anonymous cart whose token the session holds."""
    if request.user.is_authenticated:
        return services.cart_for(user=request.user, create=create)
    token = request.session.get(SESSION_CART_KEY)
    cart = services.cart_for(token=token, create=create)
    if cart is not None and token != cart.token:
        request.session[SESSION_CART_KEY] = cart.token
    return cart


def _country(request: HttpRequest) -> str:
    return request.session.get("orders_country") or DEFAULT_COUNTRY


def _cart_context(request: HttpRequest, cart: Cart | None) -> dict[str, Any]:
    review = services.cart_review(cart=cart, country=_country(request))
    return {"review": review, "country": _country(request)}


def cart_page(request: HttpRequest) -> HttpResponse:
    context = _cart_context(request, request_cart(request))
    template = "orders/_cart_body.html" if _htmx(request) else "orders/cart.html"
    return render(request, template, context)


def _local_next(request: HttpRequest) -> str:
    """`next` when it is a page of this site (this host, or the platform's), else "": never an
    open redirect to another site."""
    target = request.POST.get("next", "")
    allowed = {request.get_host(), urlsplit(platform_url("/", request)).netloc}
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure()):
        return target
    return ""


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    cart = request_cart(request, create=True)
    assert cart is not None
    try:
        services.cart_item_add(cart=cart, vendor_id=request.POST.get("vendor_id"),
                               variant_id=request.POST.get("variant_id"),
                               quantity=request.POST.get("quantity") or 1)
    except ApplicationError as exc:
        if _htmx(request):
            return render(request, "orders/_add_to_cart_result.html", {"error": exc.message}, status=200)
        messages.error(request, exc.message)
        return redirect(_local_next(request) or "cart")
    if _htmx(request):
        return render(request, "orders/_add_to_cart_result.html", {"added": True})
    messages.success(request, _("Added to your cart."))
    return redirect("cart")


@require_POST
def cart_item_update(request: HttpRequest, item_id: int) -> HttpResponse:
    cart = request_cart(request)
    error = None
    if cart is None:
        raise Http404
    try:
        if request.POST.get("remove"):
            services.cart_item_remove(cart=cart, item_id=item_id)
        else:
            services.cart_item_update(cart=cart, item_id=item_id, quantity=request.POST.get("quantity"))
    except OrderNotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        error = exc.message
    if _htmx(request):
        context = _cart_context(request, cart)
        context["error"] = error
        return render(request, "orders/_cart_body.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    return redirect("cart")


@require_POST
def cart_prices_accept(request: HttpRequest) -> HttpResponse:
    cart = request_cart(request)
    if cart is not None:
        services.cart_prices_accept(cart=cart)
    return redirect("cart")


def _shipping_choice(data: Any) -> dict[int, int | None]:
    choice: dict[int, int | None] = {}
    for key, value in data.items():
        if key.startswith("shipping_") and key[9:].isdigit() and str(value).isdigit():
            choice[int(key[9:])] = int(value)
    return choice


@login_required
@rate_limit("checkout", when=lambda request: not request.POST.get("refresh"))
def checkout_page(request: HttpRequest) -> HttpResponse:
    cart = request_cart(request)
    initial = {"checkout_token": secrets.token_urlsafe(24), "country": _country(request),
               "name": request.user.get_full_name() if hasattr(request.user, "get_full_name") else ""}
    form = CheckoutForm(request.POST or None, initial=initial)
    country = (request.POST.get("country") or _country(request)).upper()
    region = request.POST.get("region", "")
    choice = _shipping_choice(request.POST)
    review = services.cart_review(cart=cart, country=country, region=region, shipping_choice=choice)
    context = {"form": form, "review": review, "country": country}
    if _htmx(request) and request.POST.get("refresh"):
        return render(request, "orders/_checkout_summary.html", context)
    if review.is_empty and request.method == "GET":
        messages.info(request, _("Your cart is empty."))
        return redirect("cart")
    if request.method == "POST" and form.is_valid():
        try:
            address = address_validate(form.cleaned_data)
            order = services.checkout_submit(user=request.user, address=address, shipping_choice=choice,
                                             checkout_token=form.cleaned_data["checkout_token"],
                                             client_ip=client_address(request))
            request.session["orders_country"] = address.country
            if order.status != Order.Status.PENDING_PAYMENT:
                return redirect("order-detail", order_id=order.pk)
        except ApplicationError as exc:
            for field, errors in (exc.fields or {}).items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
            if not any(field in form.fields for field in exc.fields or {}):
                form.add_error(None, exc.message)
            context["review"] = services.cart_review(cart=request_cart(request), country=country,
                                                     region=region, shipping_choice=choice)
            return render(request, "orders/checkout.html", context, status=422)
        return _to_payment(request, order)
    status = 422 if request.method == "POST" else 200
    return render(request, "orders/checkout.html", context, status=status)


def _order_or_404(request: HttpRequest, order_id: int) -> Order:
    try:
        return selectors.order_for_buyer(user=request.user, order_id=order_id)
    except OrderNotFound as exc:
        raise Http404 from exc


@login_required
@never_cache
def checkout_return(request: HttpRequest, order_id: int) -> HttpResponse:
    """Where Stripe.js sends the buyer back: the PaymentIntent is read here, server-side, never
    trusted from the query; the order is marked paid only by the signed webhook."""
    order = _order_or_404(request, order_id)
    try:
        payment = services.order_payment_outcome(order=order)
    except GatewayError:
        payment = None
    return render(request, "orders/checkout_return.html", {
        "order": order, "payment": payment, "redirect_status": payment.redirect_status if payment else "",
    })


@login_required
def order_status(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_or_404(request, order_id)
    response = render(request, "orders/_order_status.html", {
        "order": order, "redirect_status": request.GET.get("redirect_status", ""),
    })
    if order.status != Order.Status.PENDING_PAYMENT:
        response["HX-Trigger"] = "order-settled"
    return response


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.orders_for_buyer(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_or_404(request, order_id)
    timeline = order_timeline(order_id=order.pk, audience=OrderEvent.Audience.BUYER)
    return render(request, "orders/order_detail.html", {"order": order, "timeline": timeline})


def _to_payment(request: HttpRequest, order: Order) -> HttpResponse:
    """To our payment page (the Payment Element), which creates or reuses the order's intent."""
    return redirect("order-pay", order_id=order.pk)


@login_required
@never_cache
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The payment page: the order summary and Stripe's Payment Element for its one PaymentIntent.

    Stripe.js (from STRIPE_JS_URL, the page's only foreign script) collects the card in its own
    frame and confirms with the client secret; card data never reaches this server. A POST (the
    "try another card" buttons) comes back here. When the provider cannot be reached the order
    waits (stock reserved) and its page offers to try again."""
    order = _order_or_404(request, order_id)
    if request.method == "POST":
        return redirect("order-pay", order_id=order.pk)
    if order.status != Order.Status.PENDING_PAYMENT:
        return redirect("order-detail", order_id=order.pk)
    try:
        payment = services.order_payment_prepare(order=order, customer_session=True)
    except GatewayError:
        messages.error(request, _("We could not reach the payment provider. Your items are reserved; "
                                  "please try the payment again in a moment."))
        return redirect("order-detail", order_id=order.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("order-detail", order_id=order.pk)
    if payment.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        return redirect("checkout-return", order_id=order.pk)
    response = render(request, "orders/order_pay.html", {
        "order": order, "payment": payment, "stripe_js_url": gateway.stripe_js_url(),
        "return_url": platform_url(reverse("checkout-return", args=[order.pk]), request),
    })
    # Stripe.js's origin on this page only: its script, its frames and its API calls (frame-src
    # and connect-src are new directives here, so they restate 'self', which default-src gave).
    sources = gateway.stripe_js_csp()
    response._csp_update = {  # type: ignore[attr-defined]
        "script-src": sources["script-src"],
        "frame-src": ["'self'", *sources["frame-src"]],
        "connect-src": ["'self'", *sources["connect-src"]],
    }
    return response


@login_required
@require_POST
def sub_order_cancel(request: HttpRequest, order_id: int, sub_order_id: int) -> HttpResponse:
    """The buyer cancels one vendor's part before it ships (refunded in full)."""
    try:
        sub = services.sub_order_cancel_by_buyer(user=request.user, order_id=order_id, sub_order_id=sub_order_id)
    except OrderNotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your order from %(vendor)s is cancelled; %(amount)s is refunded to your card.") % {
            "vendor": sub.vendor.name, "amount": format_money_localized(sub.refunded_amount, sub.order.currency)})
    return redirect_after_post(request, "order-detail", order_id)
