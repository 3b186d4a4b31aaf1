"""Cache keys: per schema, except the security counters, which every host must share."""

from __future__ import annotations

from typing import Any

from django_tenants.cache import make_key as tenant_make_key
from django_tenants.cache import reverse_key as tenant_reverse_key

# Sign-in limits and used 2FA codes (allauth), and the platform's own rate limits
# (common.ratelimit): a counter kept per vendor schema would give every vendor host fresh tries,
# and a 2FA code used on one host could be replayed on another. They name an account or a client
# address, never a vendor's data, so sharing them crosses no tenant boundary. The same for the
# used impersonation hand-off tokens (accounts.impersonation): used once, on any host.
SHARED_KEY_PREFIXES = ("allauth:rl:", "allauth.mfa.totp.used", "ratelimit:", "impersonation:handoff:")
SHARED_NAMESPACE = "shared"


def make_key(key: str, key_prefix: str, version: Any) -> str:
    if key.startswith(SHARED_KEY_PREFIXES):
        # Same shape as the tenant keys (four parts), so one reverse function serves both.
        return f"{SHARED_NAMESPACE}:{key_prefix}:{version}:{key}"
    return tenant_make_key(key, key_prefix, version)


def reverse_key(key: str) -> str:
    return tenant_reverse_key(key)
