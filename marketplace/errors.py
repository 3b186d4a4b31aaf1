"""Marketplace errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError


class InvalidCategory(ApplicationError):
    code = "invalid_category"


class InvalidListing(ApplicationError):
    code = "invalid_listing"
