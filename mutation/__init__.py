"""Mutation testing of the money and isolation core (`make mutation`, docs/adr/0051)."""
