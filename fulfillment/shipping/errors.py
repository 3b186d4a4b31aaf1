"""Errors of the shipping settings, each with a stable code."""

from common.exceptions import ApplicationError, NotFound


class InvalidShippingSettings(ApplicationError):
    code = "invalid_shipping_settings"


class ShippingZoneNotFound(NotFound):
    code = "shipping_zone_not_found"


class ShippingMethodNotFound(NotFound):
    code = "shipping_method_not_found"
