"""Errors of cart and checkout, each with a stable code the buyer's page and API show."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied


class CartError(ApplicationError):
    code = "cart_invalid"


class ProductUnavailable(Conflict):
    """The product or variant is gone, not active, or its vendor cannot sell now."""

    code = "product_unavailable"


class VendorNotSelling(Conflict):
    code = "vendor_not_selling"


class OutOfStock(Conflict):
    code = "out_of_stock"


class PriceChanged(Conflict):
    """Prices moved since the buyer added the items; the cart now shows the new prices."""

    code = "price_changed"


class CartEmpty(ApplicationError):
    code = "cart_empty"


class CurrencyUnsupported(ApplicationError):
    """A currency the marketplace does not sell in (400)."""

    code = "currency_unsupported"


class ExchangeRateMissing(Conflict):
    """No reference rate for the pair within ORDERS_FX_MAX_AGE_DAYS: nothing is converted."""

    code = "exchange_rate_missing"


class ExchangeRateSourceInvalid(ApplicationError):
    code = "exchange_rate_source_invalid"


class InvalidAddress(ApplicationError):
    code = "invalid_address"


class ShippingUnavailable(ApplicationError):
    code = "shipping_unavailable"


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderStateConflict(Conflict):
    code = "order_state_conflict"


class UnpaidOrdersLimit(Conflict):
    """The buyer already has as many orders awaiting payment as allowed (stock hoarding guard)."""

    code = "unpaid_orders_limit"


class NewBuyerQuantityLimit(ApplicationError):
    """A new account asks for more units of one variant or one vendor than it may hold at once."""

    code = "new_buyer_quantity_limit"


class VelocityLimit(ApplicationError):
    """Too many orders, cards or failed payments from one buyer or one address in the last hour
    (a hard velocity limit, docs/adr/0045): checkout is refused until the window moves on."""

    code = "velocity_limit"
    status_code = 429


class AccountExists(Conflict):
    """An account uses this email: sign in rather than buy (or claim) as a guest."""

    code = "account_exists"


class ClaimNeedsEmailedLink(PermissionDenied):
    """Only the confirmation email's link may turn a guest into an account (it proves the mailbox)."""

    code = "claim_needs_emailed_link"


class TaxDestinationUnsupported(ApplicationError):
    """The tax engine has no rates for the delivery address: the order is refused, never taxed
    at 0 % (docs/adr/0070)."""

    code = "tax_destination_unsupported"
    status_code = 422


class TaxServiceUnavailable(ApplicationError):
    """The tax service did not answer in time; nothing was created."""

    code = "tax_service_unavailable"
    status_code = 503
    retry_after = 5


class InvalidVatId(ApplicationError):
    code = "invalid_vat_id"
