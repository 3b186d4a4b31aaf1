"""A local Stripe-compatible emulator (Connect, payments, refunds, transfers, payouts, disputes)."""

from .server import EmulatorApp, EmulatorServer
from .webhooks import sign

__all__ = ["EmulatorApp", "EmulatorServer", "sign"]
