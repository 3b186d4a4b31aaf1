"""Stripe's `/v1` resources, one module per family; `stripe_emulator.api` composes them."""
