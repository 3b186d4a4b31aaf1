"""Writes of promotions: creating and ending them, a cart's code, and each order's use of one.

Uses are counted under a lock on the promotion's row, in the checkout's transaction: two buyers
racing for a code's last use cannot both get it, and a refused use refuses the whole checkout
(docs/adr/0094).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import validate_currency
from orders.models import Cart, Order
from orders.pricing import PricedCart
from promotions.checks import coupon_problem
from promotions.errors import CouponExhausted, CouponInvalid, PromotionInvalid
from promotions.models import CartCoupon, Promotion, Redemption
from promotions.selectors import COUNTED, buyer_uses

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")


def code_normalize(code: Any) -> str:
    return str(code or "").strip().upper()


# ---------------------------------------------------------------------------------------------
# a cart's code
# ---------------------------------------------------------------------------------------------
def _invalid(code: str, message: str) -> CouponInvalid:
    return CouponInvalid(message, code=code, fields={"code": [message]})


@transaction.atomic
def cart_code_apply(*, cart: Cart, code: Any, currency: str | None = None, default_currency: str = "") -> Promotion:
    """Put `code` on the cart (replacing its code) when it gives a discount on the cart's items
    now; otherwise raise why not, and the cart keeps what it had."""
    from orders.services import cart_review

    normalized = code_normalize(code)
    if not normalized:
        raise _invalid("coupon_required", _("Enter a discount code."))
    promotion = (Promotion.objects.select_related("vendor").filter(code=normalized).first()
                 if CODE_PATTERN.match(normalized) else None)
    if promotion is None:
        raise _invalid("coupon_unknown", _("This code does not exist. Check its spelling."))
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    review = cart_review(cart=cart, currency=currency, default_currency=default_currency)
    if review.is_empty or review.priced is None:
        raise _invalid("cart_empty", _("Add items to your cart before entering a code."))
    lines = [line.source for group in review.priced.groups for line in group.lines]
    problem = coupon_problem(promotion, buyer=cart.user, lines=lines, currency=review.priced.currency,
                             at=timezone.now())
    if problem is not None:
        raise _invalid(*problem)
    CartCoupon.objects.update_or_create(cart=cart, defaults={"promotion": promotion})
    return promotion


def cart_code_remove(*, cart: Cart) -> None:
    CartCoupon.objects.filter(cart=cart).delete()


# ---------------------------------------------------------------------------------------------
# an order's uses
# ---------------------------------------------------------------------------------------------
def _used_by_order(priced: PricedCart) -> dict[int, tuple[int, str]]:
    used: dict[int, tuple[int, str]] = {}
    for group in priced.groups:
        for line in group.lines:
            for discount in line.discounts:
                amount, _funded = used.get(discount.promotion_id, (0, discount.funded_by))
                used[discount.promotion_id] = (amount + discount.amount, discount.funded_by)
    return used


def order_promotions_redeem(*, order: Order, priced: PricedCart, cart: Cart | None) -> None:
    """In the checkout's transaction: one held use per promotion the order got, counted under the
    promotion's row lock (in id order: no deadlock between two checkouts); a promotion used up or
    ended meanwhile raises CouponExhausted and the checkout rolls back whole."""
    used = _used_by_order(priced)
    if used:
        _redeem(order=order, used=used)
    # The code went with this order: the next cart starts without it. (The pricing noted whether
    # the cart had one: a cart without a code costs no statement here.)
    found = getattr(cart, "_promotions_code_state", None)
    if cart is not None and (found is None or found.coupon is not None):
        CartCoupon.objects.filter(cart=cart).delete()


def _redeem(*, order: Order, used: dict[int, tuple[int, str]]) -> None:
    now = timezone.now()
    for promotion in Promotion.objects.select_for_update().filter(pk__in=list(used)).order_by("pk"):
        if not promotion.running(now) or (promotion.max_uses is not None
                                          and promotion.uses_count >= promotion.max_uses):
            raise CouponExhausted(
                _("%(code)s was used up or ended while you were checking out; your cart shows the price without it.")
                % {"code": promotion.label}, extra={"promotion_id": promotion.pk})
        if (promotion.max_uses_per_buyer is not None
                and buyer_uses(promotion_id=promotion.pk, buyer_id=order.buyer_id) >= promotion.max_uses_per_buyer):
            raise CouponExhausted(_("You have already used %(code)s.") % {"code": promotion.label},
                                  code="coupon_already_used", extra={"promotion_id": promotion.pk})
        amount, funded_by = used[promotion.pk]
        Redemption.objects.create(promotion=promotion, order=order, buyer_id=order.buyer_id, amount=amount,
                                  currency=order.currency, funded_by=funded_by)
        Promotion.objects.filter(pk=promotion.pk).update(uses_count=F("uses_count") + 1, updated_at=now)


def order_redemptions_release(*, order_id: int) -> int:
    """The order's payment failed or it expired unpaid: its uses are given back."""
    released = 0
    for redemption in Redemption.objects.select_for_update().filter(order_id=order_id, status__in=COUNTED):
        Promotion.objects.filter(pk=redemption.promotion_id).update(uses_count=F("uses_count") - 1)
        redemption.status = Redemption.Status.RELEASED
        redemption.save(update_fields=["status", "updated_at"])
        released += 1
    return released


def order_redemptions_confirm(*, order_id: int) -> None:
    """The order is paid: its held uses are final. A use released because the payment came late is
    taken again (the buyer was charged the discounted price), the count kept within its limit."""
    for redemption in Redemption.objects.select_related("promotion").select_for_update(of=("self",)).filter(
            order_id=order_id).exclude(status=Redemption.Status.REDEEMED):
        if redemption.status == Redemption.Status.RELEASED:
            Promotion.objects.filter(pk=redemption.promotion_id).update(
                uses_count=Least(F("uses_count") + 1, F("max_uses")) if redemption.promotion.max_uses is not None
                else F("uses_count") + 1)
        redemption.status = Redemption.Status.REDEEMED
        redemption.save(update_fields=["status", "updated_at"])


# ---------------------------------------------------------------------------------------------
# creating and ending promotions (vendor dashboard, ops console)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PromotionInput:
    name: str
    kind: str
    percent_bp: int = 0
    amount: int = 0
    currency: str = ""
    code: str = ""
    min_order_amount: int = 0
    vendor_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    product_ids: tuple[int, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    max_uses_per_buyer: int | None = None


def _input_check(data: PromotionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Give it a name.")]
    if data.code and not CODE_PATTERN.match(code_normalize(data.code)):
        errors["code"] = [_("3 to 32 letters, digits, dashes or underscores.")]
    if data.kind == Promotion.Kind.PERCENT and not 1 <= data.percent_bp <= 10000:
        errors["percent"] = [_("Between 0.01 % and 100 %.")]
    if data.kind == Promotion.Kind.FIXED and data.amount <= 0:
        errors["amount"] = [_("Enter an amount greater than zero.")]
    if data.kind not in Promotion.Kind.values:
        errors["kind"] = [_("Choose a percentage or a fixed amount.")]
    if (data.kind == Promotion.Kind.FIXED or data.min_order_amount) and not data.currency:
        errors["currency"] = [_("Choose the currency of the amounts.")]
    if data.min_order_amount < 0:
        errors["min_order_amount"] = [_("Enter zero or more.")]
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    for name in ("max_uses", "max_uses_per_buyer"):
        value = getattr(data, name)
        if value is not None and value < 1:
            errors[name] = [_("At least 1, or leave it empty for no limit.")]
    return errors


def _create(*, data: PromotionInput, vendor: Any, user: Any) -> Promotion:
    errors = _input_check(data)
    if errors:
        raise PromotionInvalid(_("Check the highlighted fields."), fields=errors)
    try:
        with transaction.atomic():
            return Promotion.objects.create(
                name=data.name.strip(), code=code_normalize(data.code), vendor=vendor,
                funded_by=Promotion.Funding.VENDOR if vendor is not None else Promotion.Funding.PLATFORM,
                kind=data.kind, percent_bp=data.percent_bp if data.kind == Promotion.Kind.PERCENT else 0,
                amount=data.amount if data.kind == Promotion.Kind.FIXED else 0,
                currency=validate_currency(data.currency) if data.currency else "",
                min_order_amount=data.min_order_amount, vendor_ids=list(data.vendor_ids),
                category_ids=list(data.category_ids), product_ids=list(data.product_ids),
                starts_at=data.starts_at, ends_at=data.ends_at, max_uses=data.max_uses,
                max_uses_per_buyer=data.max_uses_per_buyer, created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        message = _("Another promotion already uses this code.")
        raise PromotionInvalid(message, code="promotion_code_taken", fields={"code": [message]}) from None


def vendor_promotion_create(*, vendor: Any, user: Any, data: PromotionInput) -> Promotion:
    """A vendor's sale (no code: applies by itself to the products it covers for its period) or
    its own code; funded by the vendor, covering only its own items."""
    if data.vendor_ids:
        raise PromotionInvalid(_("A store's promotion covers only its own items."), fields={"vendor_ids": [
            _("Not allowed.")]})
    return _create(data=data, vendor=vendor, user=user)


def platform_promotion_create(*, user: Any, data: PromotionInput) -> Promotion:
    """A platform coupon (or automatic promotion) from the ops console, funded by the platform."""
    if data.product_ids:
        raise PromotionInvalid(_("Platform promotions are scoped to vendors and categories."),
                               fields={"product_ids": [_("Not allowed.")]})
    return _create(data=data, vendor=None, user=user)


@transaction.atomic
def promotion_end(*, promotion: Promotion, user: Any) -> Promotion:
    """Stop it now: no new cart gets it (orders already placed keep their discount)."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.active:
        promotion.active = False
        promotion.save(update_fields=["active", "updated_at"])
    return promotion
