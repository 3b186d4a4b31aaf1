"""Buyer pages on the platform host: cart, checkout, payment return, order history and detail."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from common.exceptions import ApplicationError
from common.hosts import platform_url
from common.money import format_money_localized
from common.page_events import page_event
from common.ratelimit import client_address, rate_limit
from common.responses import redirect_after_post
from marketplace import recommendations
from marketplace.selectors import listing_pictures
from orders import selectors, services
from orders.addresses import address_validate
from orders.currency import SESSION_CURRENCY, buyer_currency, currency_check
from orders.delivery import delivery_window
from orders.discounts import discount_code_apply, discount_code_remove
from orders.errors import AccountExists, OrderNotFound
from orders.forms import CheckoutForm, GuestAccountForm, GuestEmailForm
from orders.models import Cart, Order, OrderEvent
from orders.signals import SESSION_CART_KEY
from orders.timeline import order_timeline
from payments import gateway
from payments.errors import GatewayError
from storefront.cart_handoff import handoff_redeem

DEFAULT_COUNTRY = "DE"
# A guest's checkout lives in their session: the email they chose, and the orders they placed
# (which their pay, return and status pages open, and no one else's).
SESSION_GUEST_EMAIL = "orders_guest_email"
SESSION_GUEST_ORDERS = "orders_guest_orders"
GUEST_ORDERS_KEPT = 20


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


def _currency(request: HttpRequest) -> dict[str, Any]:
    """The buyer's chosen currency (None: the cart's own) and the default for a mixed cart."""
    chosen, shown = buyer_currency(session=request.session, language=get_language() or "")
    return {"currency": chosen, "default_currency": shown}


def _cart_context(request: HttpRequest, cart: Cart | None) -> dict[str, Any]:
    review = services.cart_review(cart=cart, country=_country(request), **_currency(request))
    items = review.items
    pictures = listing_pictures(keys=[(item.vendor_id, item.product_id) for item in items])
    return {"review": review, "country": _country(request),
            "cart_pictures": {item.pk: pictures[(item.vendor_id, item.product_id)] for item in items
                              if (item.vendor_id, item.product_id) in pictures}}


@require_POST
def currency_set(request: HttpRequest) -> HttpResponse:
    """The header's currency switcher: prices are shown and charged in the chosen currency."""
    try:
        request.session[SESSION_CURRENCY] = currency_check(request.POST.get("currency"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(_local_next(request) or "cart")


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
        item = services.cart_item_add(cart=cart, vendor_id=request.POST.get("vendor_id"),
                                      variant_id=request.POST.get("variant_id"),
                                      quantity=request.POST.get("quantity") or 1)
        page_event(request, "cart_add", vendor_id=item.vendor_id, product_id=item.product_id)
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
@rate_limit("coupon", when=lambda request: not request.POST.get("remove"))
def cart_code(request: HttpRequest) -> HttpResponse:
    """The cart's "Apply code" form (and its "Remove"): the code's own error, the cart unchanged."""
    cart = request_cart(request, create=True)
    assert cart is not None
    error = None
    try:
        if request.POST.get("remove"):
            discount_code_remove(cart=cart)
        else:
            discount_code_apply(cart=cart, code=request.POST.get("code", ""), **_currency(request))
    except ApplicationError as exc:
        error = exc.message
    if _htmx(request):
        context = _cart_context(request, cart)
        context.update(code_error=error, code_value=request.POST.get("code", "") if error else "")
        # 200 with the error next to the field: htmx swaps only successful answers (as cart_add).
        return render(request, "orders/_cart_body.html", context)
    if error:
        messages.error(request, error)
    elif not request.POST.get("remove"):
        messages.success(request, _("Code applied."))
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


def _guest_orders(request: HttpRequest) -> list[int]:
    return [int(pk) for pk in request.session.get(SESSION_GUEST_ORDERS, [])]


def _guest_order_remember(request: HttpRequest, order: Order) -> None:
    ids = [pk for pk in _guest_orders(request) if pk != order.pk]
    request.session[SESSION_GUEST_ORDERS] = [*ids, order.pk][-GUEST_ORDERS_KEPT:]


def _sign_in_to_checkout_url() -> str:
    return f"{reverse('account_login')}?{urlencode({'next': reverse('checkout')})}"


def _checkout_start(request: HttpRequest, form: GuestEmailForm | None = None, *,
                    account_exists: bool = False, status: int = 200) -> HttpResponse:
    """An anonymous visitor at checkout: sign in, or continue as a guest with an email."""
    return render(request, "orders/checkout_start.html", {
        "form": form or GuestEmailForm(initial={"email": request.session.get(SESSION_GUEST_EMAIL, "")}),
        "login_url": _sign_in_to_checkout_url(), "account_exists": account_exists,
    }, status=status)


@rate_limit("checkout")
def checkout_guest(request: HttpRequest) -> HttpResponse:
    """"Continue as guest": the email is kept in the session and the checkout form follows.
    An email of an account is refused (sign in instead): nothing is attached to that account."""
    if request.user.is_authenticated:
        return redirect("checkout")
    if request.method != "POST":
        return _checkout_start(request)
    form = GuestEmailForm(request.POST)
    if form.is_valid():
        try:
            request.session[SESSION_GUEST_EMAIL] = services.guest_email_check(email=form.cleaned_data["email"])
        except AccountExists as exc:
            form.add_error("email", exc.message)
            return _checkout_start(request, form, account_exists=True, status=422)
        except ApplicationError as exc:
            form.add_error("email", exc.message)
        else:
            return redirect("checkout")
    return _checkout_start(request, form, status=422)


def _checkout_order(request: HttpRequest, form: CheckoutForm, choice: dict[int, int | None],
                    guest_email: str) -> Order:
    address = address_validate(form.cleaned_data)
    token = form.cleaned_data["checkout_token"]
    if guest_email:
        order = services.guest_checkout_submit(
            email=guest_email, cart_token=request.session.get(SESSION_CART_KEY) or "", address=address,
            shipping_choice=choice, checkout_token=token, client_ip=client_address(request),
            vat_id=form.cleaned_data.get("vat_id", ""), currency=_checkout_currency(request))
        _guest_order_remember(request, order)
    else:
        order = services.checkout_submit(user=request.user, address=address, shipping_choice=choice,
                                         checkout_token=token, client_ip=client_address(request),
                                         vat_id=form.cleaned_data.get("vat_id", ""),
                                         currency=_checkout_currency(request))
    request.session["orders_country"] = address.country
    return order


def _checkout_currency(request: HttpRequest) -> str | None:
    """What the checkout charges in: the buyer's choice; else a cart of several currencies takes
    the default the page showed (a cart of one currency stays in it)."""
    chosen = _currency(request)
    if chosen["currency"]:
        return str(chosen["currency"])
    cart = request_cart(request)
    mixed = cart is not None and cart.items.values("currency").distinct().count() > 1
    return str(chosen["default_currency"]) if mixed else None


@rate_limit("checkout", when=lambda request: not request.POST.get("refresh"))
def checkout_page(request: HttpRequest) -> HttpResponse:
    """The checkout form, for a signed-in buyer or a guest who gave an email (else the choice)."""
    guest_email = "" if request.user.is_authenticated else request.session.get(SESSION_GUEST_EMAIL, "")
    cart = request_cart(request)
    if not request.user.is_authenticated and not guest_email:
        if cart is None or not cart.items.exists():
            messages.info(request, _("Your cart is empty."))
            return redirect("cart")
        return _checkout_start(request) if request.method == "GET" else redirect("checkout")
    initial = {"checkout_token": secrets.token_urlsafe(24), "country": _country(request),
               "name": request.user.get_full_name() if hasattr(request.user, "get_full_name") else ""}
    form = CheckoutForm(request.POST or None, initial=initial)
    country = (request.POST.get("country") or _country(request)).upper()
    region = request.POST.get("region", "")
    choice = _shipping_choice(request.POST)
    review = services.cart_review(cart=cart, country=country, region=region, shipping_choice=choice,
                                  **_currency(request))
    context = {"form": form, "review": review, "country": country, "guest_email": guest_email}
    if _htmx(request) and request.POST.get("refresh"):
        return render(request, "orders/_checkout_summary.html", context)
    if review.is_empty and request.method == "GET":
        messages.info(request, _("Your cart is empty."))
        return redirect("cart")
    if request.method == "POST" and form.is_valid():
        try:
            order = _checkout_order(request, form, choice, guest_email)
            if order.status != Order.Status.PENDING_PAYMENT:
                return redirect("checkout-return" if guest_email else "order-detail", order_id=order.pk)
        except ApplicationError as exc:
            if isinstance(exc, AccountExists):
                context["login_url"] = _sign_in_to_checkout_url()
            for field, errors in (exc.fields or {}).items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
            if not any(field in form.fields for field in exc.fields or {}):
                form.add_error(None, exc.message)
            context["review"] = services.cart_review(cart=request_cart(request), country=country,
                                                     region=region, shipping_choice=choice, **_currency(request))
            return render(request, "orders/checkout.html", context, status=422)
        return _to_payment(request, order)
    status = 422 if request.method == "POST" else 200
    if request.method == "GET":
        for vendor_id in review.vendors:
            page_event(request, "checkout", vendor_id=vendor_id)
    return render(request, "orders/checkout.html", context, status=status)


def _order_or_404(request: HttpRequest, order_id: int) -> Order:
    try:
        return selectors.order_for_buyer(user=request.user, order_id=order_id)
    except OrderNotFound as exc:
        raise Http404 from exc


def _visitor_order_or_404(request: HttpRequest, order_id: int) -> tuple[Order, bool]:
    """The signed-in buyer's order, or a guest order this session placed (with True): anyone
    else, signed in or not, gets a 404."""
    if request.user.is_authenticated:
        try:
            return selectors.order_for_buyer(user=request.user, order_id=order_id), False
        except OrderNotFound:
            pass
    try:
        return selectors.order_for_guest(order_id=order_id, allowed_ids=_guest_orders(request)), True
    except OrderNotFound as exc:
        raise Http404 from exc


def _guest_context(request: HttpRequest, order: Order, guest: bool) -> dict[str, Any]:
    """What a guest's return page adds: their order's tracking link and the account offer, as a
    form when this session placed every order of that email, else a pointer to the emailed link
    (which proves the email is theirs: the session alone does not)."""
    if not guest:
        return {}
    others = selectors.guest_orders_elsewhere(buyer_id=order.buyer_id, allowed_ids=_guest_orders(request))
    return {"order_url": reverse("order-track", args=[services.order_link_token(order=order)]),
            "guest_claim": "email" if others else "form", "claim_form": GuestAccountForm()}


def _delivery_estimates(order: Order) -> Order:
    """Attach each vendor part's delivery window (for a paid order; the sub-orders and their
    vendors are already loaded by the selector)."""
    if order.is_paid:
        paid_on = timezone.localdate(order.paid_at or order.created_at)
        for sub in order.sub_orders.all():
            sub.delivery = delivery_window(  # type: ignore[attr-defined]
                paid_on=paid_on, from_country=sub.vendor.country, to_country=order.ship_country,
                promised=(sub.delivery_days_min, sub.delivery_days_max))
    return order


@never_cache
def checkout_return(request: HttpRequest, order_id: int) -> HttpResponse:
    """Where Stripe.js sends the buyer back: the PaymentIntent is read here, server-side, never
    trusted from the query; the order is marked paid only by the signed webhook."""
    order, guest = _visitor_order_or_404(request, order_id)
    try:
        payment = services.order_payment_outcome(order=order)
    except GatewayError:
        payment = None
    return render(request, "orders/checkout_return.html", {
        "order": _delivery_estimates(order), "payment": payment, "redirect_status": payment.redirect_status if payment else "",
        **_guest_context(request, order, guest),
    })


def order_status(request: HttpRequest, order_id: int) -> HttpResponse:
    order, guest = _visitor_order_or_404(request, order_id)
    response = render(request, "orders/_order_status.html", {
        "order": _delivery_estimates(order), "redirect_status": request.GET.get("redirect_status", ""),
        **_guest_context(request, order, guest),
    })
    if order.status != Order.Status.PENDING_PAYMENT:
        response["HX-Trigger"] = "order-settled"
    return response


@require_GET
def order_recommendations(request: HttpRequest, order_id: int) -> HttpResponse:
    """What is bought with this order's items (lazy-loaded on the confirmation; ADR 0095): for the
    order's buyer, or the guest session that placed it, only once it is paid."""
    order, _guest = _visitor_order_or_404(request, order_id)
    picks: list[Any] = []
    if order.is_paid:
        keys = [(line.vendor_id, line.product_id) for line in order.lines.all()]  # prefetched
        picks = recommendations.bought_with_any(listing_ids=recommendations.listing_ids_of_products(keys=keys))
    return render(request, "orders/_order_recommendations.html", {"picks": picks})


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


@never_cache
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The payment page: the order summary and Stripe's Payment Element for its one PaymentIntent.

    Stripe.js (from STRIPE_JS_URL, the page's only foreign script) collects the card in its own
    frame and confirms with the client secret; card data never reaches this server. A POST (the
    "try another card" buttons) comes back here. When the provider cannot be reached the order
    waits (stock reserved) and its page offers to try again."""
    order, guest = _visitor_order_or_404(request, order_id)
    # A guest's order page is the return page (the order's own page needs an account).
    order_page = "checkout-return" if guest else "order-detail"
    if request.method == "POST":
        return redirect("order-pay", order_id=order.pk)
    if order.status != Order.Status.PENDING_PAYMENT:
        return redirect(order_page, order_id=order.pk)
    try:
        # No saved cards for a guest: whoever types an email must not see that email's cards.
        payment = services.order_payment_prepare(order=order, customer_session=not guest)
    except GatewayError:
        messages.error(request, _("We could not reach the payment provider. Your items are reserved; "
                                  "please try the payment again in a moment."))
        return redirect(order_page, order_id=order.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(order_page, order_id=order.pk)
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


@require_GET
@never_cache
def order_track(request: HttpRequest, token: str) -> HttpResponse:
    """A guest's order through the signed link of its confirmation email, without signing in.
    Once the guest has become an account the link asks to sign in (the account's order page)."""
    try:
        linked = services.order_for_link(token=token)
    except OrderNotFound as exc:
        raise Http404 from exc
    if not linked.buyer.is_guest:
        return redirect("order-detail", order_id=linked.pk)
    order = selectors.order_for_buyer(user=linked.buyer, order_id=linked.pk)
    return _order_track_page(request, order, token, GuestAccountForm())



def _order_track_page(request: HttpRequest, order: Order, token: str, form: GuestAccountForm,
                      status: int = 200) -> HttpResponse:
    timeline = order_timeline(order_id=order.pk, audience=OrderEvent.Audience.BUYER)
    # The account offer only on the emailed link: the return page's link opens the order, and
    # anyone may have typed this email at checkout.
    claim_form = form if services.order_link_claims(token=token) else None
    return render(request, "orders/order_track.html", {
        "order": order, "timeline": timeline, "token": token, "claim_form": claim_form,
    }, status=status)


@require_POST
@rate_limit("guest_claim")
def guest_account_create(request: HttpRequest, order_id: int) -> HttpResponse:
    """"Create an account" after a guest purchase: the guest buyer gets this password (the claim
    service), is signed in, and finds their orders in My orders. Allowed through the emailed link
    (`token`), or from the session that placed every order of that guest."""
    token = request.POST.get("token", "")
    if token:
        try:
            order = services.order_for_link(token=token)
        except OrderNotFound as exc:
            raise Http404 from exc
        if order.pk != order_id or not services.order_link_claims(token=token):
            raise Http404
    else:
        order, guest = _visitor_order_or_404(request, order_id)
        if not guest or _guest_context(request, order, guest)["guest_claim"] != "form":
            raise Http404
    form = GuestAccountForm(request.POST)
    if form.is_valid():
        try:
            # The session placed every order of this guest: it may claim as the emailed link does.
            user = services.guest_account_claim(token=token or services.order_link_token(order=order, claim=True),
                                                password=form.cleaned_data["password1"])
        except AccountExists as exc:
            messages.info(request, exc.message)
            return redirect(f"{reverse('account_login')}?{urlencode({'next': reverse('order-list')})}")
        except ApplicationError as exc:
            for error in (exc.fields or {}).get("password", [exc.message]):
                form.add_error("password1", error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is ready: your orders are in My orders."))
            return redirect("order-list")
    if token:
        return _order_track_page(request, selectors.order_for_buyer(user=order.buyer, order_id=order.pk),
                                 token, form, status=422)
    return render(request, "orders/checkout_return.html", {
        "order": order, "redirect_status": "", **_guest_context(request, order, True), "claim_form": form,
    }, status=422)


def cart_handoff(request: HttpRequest) -> HttpResponse:
    """The platform host's end of "add to cart" on a vendor's host (ADR 0091): the signed,
    single-use token carries the item; it joins this session's cart, the same as the marketplace's.
    Only a page navigation redeems it (never an image or a fetch embedded in another page)."""
    if request.headers.get("Sec-Fetch-Dest", "document") != "document":
        return HttpResponse(status=400)
    try:
        item = handoff_redeem(token=request.GET.get("t", ""))
        cart = request_cart(request, create=True)
        assert cart is not None
        services.cart_item_add(cart=cart, vendor_id=item.vendor_id, variant_id=item.variant_id,
                               quantity=item.quantity)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cart")
    messages.success(request, _("Added to your cart."))
    return redirect("cart")
