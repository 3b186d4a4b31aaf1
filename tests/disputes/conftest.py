"""Claims and chargebacks fixtures: the Stripe emulator with captured webhooks, and paid orders
made through the real checkout and a real PaymentIntent on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import deliver_events


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def paid_order(buyer: Any, emulator: Any, webhooks: Any) -> Callable[..., Any]:
    """`paid_order((vendor, variant, qty), ..., card=...)`: checkout, pay, apply the signed webhook,
    create the vendors' fulfilment copies (unless `copies=False`: their task has not run yet)."""
    counter = iter(range(1, 1000))

    def make(*items: Any, card: str = "pm_card_visa", copies: bool = True) -> Any:
        from fulfillment.tasks import vendor_order_copy
        from orders import services
        from payments import gateway

        cart = services.cart_for(user=buyer, create=True)
        for vendor, variant, quantity in items:
            services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
        order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={},
                                         checkout_token=f"claims-{next(counter)}")
        services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
        order.refresh_from_db()
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=card)
        deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=order.payment_intent_id)
        for sub in order.sub_orders.all() if copies else ():
            vendor_order_copy(sub.pk)
        order.refresh_from_db()
        return order

    return make

