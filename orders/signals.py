"""Framework hooks of the orders app (login): each one only calls a service."""

from __future__ import annotations

from typing import Any

SESSION_CART_KEY = "orders_cart_token"


def cart_merge_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Login keeps the session's data (only its key changes), so the anonymous cart token survives."""
    from orders.services import cart_merge

    session = getattr(request, "session", None)
    token = session.get(SESSION_CART_KEY) if session is not None else None
    if token and session is not None:
        cart_merge(token=token, user=user)
        session.pop(SESSION_CART_KEY, None)
