"""Storefront errors: each a stable code the pages map to a form error."""

from common.exceptions import ApplicationError


class InvalidBranding(ApplicationError):
    code = "invalid_branding"


class InvalidHandoff(ApplicationError):
    code = "invalid_cart_handoff"
