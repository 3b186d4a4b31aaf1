"""A vendor's copy of its orders and their shipments (vendor schema)."""
