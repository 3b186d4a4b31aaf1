"""English as read in Europe (ADR 0053)."""
