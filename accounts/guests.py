"""A guest buyer (checked out with an email only) becomes a full account once it has a password."""

from __future__ import annotations

from typing import Any


def guest_ends_with_a_password(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """allauth signal receiver (password reset or set): a guest who proved the mailbox with the
    reset link, or set a password, is an account from now on; sign-up with a guest's email leads
    there (allauth answers it with the "you already have an account" email and its reset link)."""
    if user is not None and getattr(user, "is_guest", False):
        user.is_guest = False
        user.save(update_fields=["is_guest"])
