"""Fulfilment errors: each a stable code the API and the pages map to a response."""

from common.exceptions import ApplicationError, Conflict, NotFound


class InvalidShipment(ApplicationError):
    code = "invalid_shipment"


class InvalidCancellation(ApplicationError):
    code = "invalid_cancellation"


class VendorOrderNotFound(NotFound):
    code = "vendor_order_not_found"


class VendorOrderClosed(Conflict):
    code = "vendor_order_closed"


class VendorOrderOnHold(Conflict):
    """The marketplace holds the order for a fraud review: it may not ship until approved."""

    code = "vendor_order_on_hold"


class VendorOrderStateConflict(Conflict):
    code = "vendor_order_state_conflict"


class TrackingSignatureInvalid(ApplicationError):
    code = "tracking_signature_invalid"
    status_code = 400


class TrackingPayloadInvalid(ApplicationError):
    code = "tracking_payload_invalid"


class LabelRefused(ApplicationError):
    """A label cannot be made (an international parcel without customs data, an unsupported carrier)."""

    code = "label_refused"


class DocumentNotFound(NotFound):
    code = "document_not_found"
