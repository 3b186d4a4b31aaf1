"""The registry of a person's data held by the apps above `support`'s reach (reviews, messaging,
notifications): each app says, in its own `personal_data.py` (autodiscovered by
`AccountsConfig.ready`), what it exports for a buyer and how it erases it. The privacy services
(support/services/privacy.py) walk the registry; support may not import its sibling apps
(import-linter's app order), so they come to it, as webhook handlers come to payments.

    from accounts.personal_data import personal_data_section

    @personal_data_section("reviews")
    class ReviewsData:
        def export(self, user) -> dict[str, list[dict]]: ...   # table name -> flat rows
        def erase(self, user) -> dict[str, int]: ...            # what was erased, counted
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Rows = list[dict[str, Any]]
# What an erased text reads as, everywhere.
ERASED_TEXT = "[erased]"


class PersonalDataSection(Protocol):
    def export(self, user: Any) -> dict[str, Rows]: ...

    def erase(self, user: Any) -> dict[str, int]: ...


_SECTIONS: dict[str, PersonalDataSection] = {}


def personal_data_section(name: str) -> Callable[[type[Any]], type[Any]]:
    """Register the class (instantiated once, without arguments) as the section `name`."""

    def register(cls: type[Any]) -> type[Any]:
        _SECTIONS[name] = cls()
        return cls

    return register


def personal_data_sections() -> dict[str, PersonalDataSection]:
    """The registered sections by name, in name order (the export's order)."""
    return dict(sorted(_SECTIONS.items()))
