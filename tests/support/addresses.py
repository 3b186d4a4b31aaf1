"""Shipping addresses used by checkout tests."""

from __future__ import annotations

from orders.addresses import Address

ADDRESS_DE = Address(name="Bea Buyer", line1="Hauptstr. 1", line2="", city="Berlin", region="",
                     postal_code="10115", country="DE")
ADDRESS_US = Address(name="Bea Buyer", line1="1 Market St", line2="", city="San Francisco",
                     region="CA", postal_code="94103", country="US")
