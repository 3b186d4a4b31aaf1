"""The ops console's manual actions; for now the dead-letter list of background work."""
