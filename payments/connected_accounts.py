"""Which Connect accounts are the platform's: the app holding them registers a directory here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountDirectory:
    """How payments asks about connected accounts without importing the app that owns them
    (payments sits below every app that has accounts; `vendors` registers in its `ready()`)."""

    known: Callable[[str], bool]
    account_ids: Callable[[], Iterable[str]]


_directory: AccountDirectory | None = None


def account_directory_register(directory: AccountDirectory) -> None:
    global _directory  # one per process, set once at start-up
    _directory = directory


def _registered() -> AccountDirectory:
    # No directory means an app is missing from INSTALLED_APPS: refuse rather than accept any
    # account (intake) or check none (reconciliation).
    if _directory is None:
        raise RuntimeError("No connected-account directory is registered (vendors not installed?).")
    return _directory


def connected_account_known(account_id: str) -> bool:
    """Connect events are accepted only for accounts that belong to one of our vendors."""
    return _registered().known(account_id)


def connected_accounts() -> list[str]:
    """Every connected account id we hold, sorted, once each."""
    return sorted(set(_registered().account_ids()))
