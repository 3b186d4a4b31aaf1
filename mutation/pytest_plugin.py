"""Loaded into every mutant's pytest run: Hypothesis reports a failure without shrinking it."""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """A failing example is enough to kill a mutant; shrinking it can take minutes. The suite's
    profile is loaded by tests/conftest.py before the session starts, and test modules (with
    their `@settings`) are imported after it, so they inherit this one."""
    from hypothesis import Phase, settings

    settings.register_profile(
        "mutation", parent=settings.get_profile("suite"),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("mutation")
