"""Guest checkout: an order with an email only, its signed tracking link, and the account offered after.

A guest is a `User` with `is_guest` set and no password: the order keeps its buyer (orders,
limits, refunds and disputes all work on the buyer), the buyer limits treat the guest as the new
account it is, and claiming the account is setting a password. An email that already belongs to a
real account is never used for a guest order: the buyer is asked to sign in, so nothing is ever
attached to someone's account without them signing in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from orders.addresses import Address
from orders.errors import AccountExists, CartEmpty, CartError, ClaimNeedsEmailedLink, OrderNotFound
from orders.models import Cart, Order
from orders.services.cart import cart_merge
from orders.services.checkout import checkout_submit

ORDER_LINK_SALT = "orders.guest-order"
# The tracking link in the confirmation email works for as long as an order may be claimed.
ORDER_LINK_MAX_AGE = 60 * 60 * 24 * 180


def _email_check(email: Any) -> str:
    value = str(email or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        message = _("Enter a valid email address.")
        raise CartError(message, code="email_invalid", fields={"email": [message]}) from None
    return value


def _account_exists() -> AccountExists:
    return AccountExists(_("An account already uses this email address: sign in to check out."),
                         fields={"email": [_("Sign in to use this email address.")]})


def guest_email_check(*, email: Any) -> str:
    """The normalised email when a guest may check out with it (nothing is created yet);
    refused when a real account has it, which must sign in instead."""
    value = _email_check(email)
    if get_user_model().objects.filter(email=value, is_guest=False).exists():
        raise _account_exists()
    return value


def guest_buyer_for(*, email: Any) -> Any:
    """The guest buyer of this email (made on first use); refused when a real account has it."""
    value = _email_check(email)
    users = get_user_model().objects
    user = users.filter(email=value).first()
    if user is None:
        try:
            with transaction.atomic():
                user = users.create_user(email=value, password=None, is_guest=True)
        except IntegrityError:
            user = users.get(email=value)
    if not user.is_guest:
        raise _account_exists()
    return user


def guest_checkout_submit(*, email: Any, cart_token: str, address: Address,
                          shipping_choice: dict[int, int | None], checkout_token: str,
                          client_ip: str | None = None, vat_id: str = "", currency: str | None = None) -> Order:
    """Check out the anonymous cart of `cart_token` for a guest buyer of `email`.

    The guest's order holds exactly this cart: whatever an earlier guest visit of the same email
    left behind is dropped, so typing someone's email never buys their leftovers.
    """
    buyer = guest_buyer_for(email=email)
    existing = Order.objects.filter(buyer=buyer, checkout_token=(checkout_token or "").strip()).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        if not Cart.objects.filter(token=cart_token or "-", user__isnull=True).exists():
            raise CartEmpty(_("Your cart is empty."))
        Cart.objects.filter(user=buyer).delete()
        cart_merge(token=cart_token, user=buyer)
    try:
        return checkout_submit(user=buyer, address=address, shipping_choice=shipping_choice,
                               checkout_token=checkout_token, client_ip=client_ip, vat_id=vat_id,
                               currency=currency)
    except ApplicationError:
        # A refused checkout (stock, limits, a new price) gives the visitor their cart back under
        # its token, with any new prices taken, so they can fix it and submit again.
        Cart.objects.filter(user=buyer).update(user=None, token=cart_token)
        raise


def order_link_token(*, order: Order, claim: bool = False) -> str:
    """A signed token that opens this one order without signing in.

    `claim`: the token may also turn the guest into an account. Only the confirmation email
    carries such a token (it proves the mailbox is the buyer's); the checkout's answer and the
    return page get a view-and-pay token, because anyone may type anyone's email at checkout."""
    payload: dict[str, Any] = {"order": order.pk, "buyer": order.buyer_id}
    if claim:
        payload["claim"] = 1
    return signing.dumps(payload, salt=ORDER_LINK_SALT, compress=True)


def _link_data(token: str) -> dict[str, Any]:
    try:
        data = signing.loads(token or "", salt=ORDER_LINK_SALT, max_age=ORDER_LINK_MAX_AGE)
    except signing.BadSignature:
        data = None
    if not isinstance(data, dict):
        raise OrderNotFound(_("This order link is not valid (or has expired)."))
    return data


def order_for_link(*, token: str) -> Order:
    """The order a link token opens; a tampered, expired or foreign token finds nothing."""
    data = _link_data(token)
    try:
        return Order.objects.select_related("buyer").get(pk=int(data["order"]), buyer_id=int(data["buyer"]))
    except (Order.DoesNotExist, KeyError, TypeError, ValueError):
        raise OrderNotFound(_("This order link is not valid (or has expired).")) from None


def order_link_claims(*, token: str) -> bool:
    """Whether this (valid) link may turn the guest into an account: the emailed link only."""
    try:
        return bool(_link_data(token).get("claim"))
    except OrderNotFound:
        return False


@transaction.atomic
def guest_account_claim(*, token: str, password: str) -> Any:
    """Turn the guest buyer of a linked order into an account with this password.

    Only a guest can be claimed; once someone has set a password the link asks to sign in, so a
    forwarded or leaked link never takes over an account.
    """
    from django.contrib.auth.password_validation import validate_password

    order = order_for_link(token=token)
    if not order_link_claims(token=token):
        raise ClaimNeedsEmailedLink(_("Use the link in your order confirmation email to create your account."))
    buyer = get_user_model().objects.select_for_update().get(pk=order.buyer_id)
    if not buyer.is_guest:
        raise AccountExists(_("This order already belongs to an account: sign in to see it."))
    try:
        validate_password(password, user=buyer)
    except ValidationError as exc:
        raise CartError(" ".join(exc.messages), code="password_invalid",
                        fields={"password": list(exc.messages)}) from None
    buyer.set_password(password)
    buyer.is_guest = False
    buyer.save(update_fields=["password", "is_guest"])
    return buyer
