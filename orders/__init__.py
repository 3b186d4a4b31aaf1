"""Buyer side of selling: cart, checkout, orders and their vendor parts (public schema)."""
