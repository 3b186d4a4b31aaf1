"""A vendor's shipping settings: zones, methods and their rates (vendor schema)."""
