from tests.orders.conftest import emulator, paid_order, shopper, webhooks  # noqa: F401
