"""Marketplace errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError


class InvalidCategory(ApplicationError):
    code = "invalid_category"


class InvalidListing(ApplicationError):
    code = "invalid_listing"


class CurrencyUnsupported(ApplicationError):
    """A currency the marketplace does not sell in (400; the code the cart and checkout API use)."""

    code = "currency_unsupported"
