"""Catalog errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError, Conflict


class InvalidProduct(ApplicationError):
    code = "invalid_product"


class InvalidImage(ApplicationError):
    code = "invalid_image"


class InvalidStockAdjustment(ApplicationError):
    code = "invalid_stock_adjustment"


class InvalidStockLocation(ApplicationError):
    code = "invalid_stock_location"


class StockShort(ApplicationError):
    """A reservation asked for more units of `variant_id` than are left (nothing was taken)."""

    code = "out_of_stock"

    def __init__(self, message: str, *, variant_id: int) -> None:
        super().__init__(message)
        self.variant_id = variant_id


class InvalidTransition(Conflict):
    code = "invalid_transition"
