"""Catalog errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError, Conflict


class InvalidProduct(ApplicationError):
    code = "invalid_product"


class InvalidImage(ApplicationError):
    code = "invalid_image"


class InvalidStockAdjustment(ApplicationError):
    code = "invalid_stock_adjustment"


class InvalidTransition(Conflict):
    code = "invalid_transition"
