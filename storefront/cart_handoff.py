"""Add to cart from a vendor's host (ADR 0091): the vendor host checks the form (its own CSRF token)
and hands the item to the platform host's cart in a signed, short-lived, single-use token, because
each host keeps its own session cookie and the cart lives in the platform host's session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from storefront.errors import InvalidHandoff

SALT = "storefront.cart-handoff"
MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class CartHandoff:
    vendor_id: int
    variant_id: int
    quantity: int


def handoff_token(*, vendor_id: int, variant_id: int, quantity: int) -> str:
    payload = {"v": vendor_id, "i": variant_id, "q": quantity, "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=SALT, compress=False)


def handoff_redeem(*, token: str) -> CartHandoff:
    """The item a token carries, once: a second use (a reload, a shared link) is refused."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
        handoff = CartHandoff(vendor_id=int(payload["v"]), variant_id=int(payload["i"]), quantity=int(payload["q"]))
        nonce = str(payload["n"])
    except signing.SignatureExpired as exc:
        raise InvalidHandoff(_("This link to add to your cart has expired. Add the item again."),
                             code="handoff_expired") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidHandoff(_("This link to add to your cart is not valid.")) from exc
    if not cache.add(f"storefront:cart-handoff:{nonce}", 1, timeout=MAX_AGE_SECONDS + 60):
        raise InvalidHandoff(_("This item was added to your cart already."), code="handoff_used")
    return handoff
