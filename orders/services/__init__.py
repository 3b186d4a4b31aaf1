"""Cart, checkout and order state changes, one module per entity; every public name is re-exported here.

Checkout is one database transaction: it re-prices every line from the vendor's own schema,
snapshots tax, shipping and commission, reserves stock with conditional updates in each vendor's
schema (never oversells) and creates the order with one sub-order per vendor. The PaymentIntent is
created after commit (no network call holds row locks); its idempotency key is the order's.
Payment state moves only through the signed webhooks (`orders/webhook_handlers.py`).
"""

from orders.services.cancellation import (
    order_expire as order_expire,
)
from orders.services.cancellation import (
    orders_expire_due as orders_expire_due,
)
from orders.services.cancellation import (
    sub_order_cancel_by_buyer as sub_order_cancel_by_buyer,
)
from orders.services.cart import (
    MAX_QUANTITY as MAX_QUANTITY,
)
from orders.services.cart import (
    cart_for as cart_for,
)
from orders.services.cart import (
    cart_item_add as cart_item_add,
)
from orders.services.cart import (
    cart_item_remove as cart_item_remove,
)
from orders.services.cart import (
    cart_item_update as cart_item_update,
)
from orders.services.cart import (
    cart_merge as cart_merge,
)
from orders.services.cart import (
    cart_prices_accept as cart_prices_accept,
)
from orders.services.cart import (
    cart_token_new as cart_token_new,
)
from orders.services.checkout import (
    checkout_submit as checkout_submit,
)
from orders.services.emails import (
    order_confirmation_send as order_confirmation_send,
)
from orders.services.emails import (
    orders_confirmation_unsent as orders_confirmation_unsent,
)
from orders.services.emails import (
    platform_url as platform_url,
)
from orders.services.guest import (
    guest_account_claim as guest_account_claim,
)
from orders.services.guest import (
    guest_checkout_submit as guest_checkout_submit,
)
from orders.services.guest import (
    guest_email_check as guest_email_check,
)
from orders.services.guest import (
    order_for_link as order_for_link,
)
from orders.services.guest import (
    order_link_claims as order_link_claims,
)
from orders.services.guest import (
    order_link_token as order_link_token,
)
from orders.services.payment import (
    OrderPayment as OrderPayment,
)
from orders.services.payment import (
    PaymentDetails as PaymentDetails,
)
from orders.services.payment import (
    PaymentOutcome as PaymentOutcome,
)
from orders.services.payment import (
    buyer_customer_ensure as buyer_customer_ensure,
)
from orders.services.payment import (
    order_payment_canceled as order_payment_canceled,
)
from orders.services.payment import (
    order_payment_details as order_payment_details,
)
from orders.services.payment import (
    order_payment_failed as order_payment_failed,
)
from orders.services.payment import (
    order_payment_outcome as order_payment_outcome,
)
from orders.services.payment import (
    order_payment_prepare as order_payment_prepare,
)
from orders.services.payment import (
    order_payment_start as order_payment_start,
)
from orders.services.payment import (
    order_payment_succeeded as order_payment_succeeded,
)
from orders.services.reservations import (
    reservation_minutes as reservation_minutes,
)
from orders.services.review import (
    CartReview as CartReview,
)
from orders.services.review import (
    ItemNotice as ItemNotice,
)
from orders.services.review import (
    cart_review as cart_review,
)
from orders.services.sub_orders import (
    sub_order_sync as sub_order_sync,
)
from orders.services.variants import (
    VariantState as VariantState,
)
from orders.services.variants import (
    schema_of as schema_of,
)
from orders.services.variants import (
    variant_states as variant_states,
)
